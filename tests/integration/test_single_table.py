"""A one-table dataset (an id, a target, a few columns) runs through every stage with only its YAML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_scoring.stages.eda import run as eda_stage
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.split import run as split_stage

pytestmark = pytest.mark.integration


def test_single_table_dataset_runs_all_stages(tmp_path: Path, stage_config, quiet) -> None:
    rng = np.random.default_rng(0)
    n = 600
    income = rng.lognormal(10, 0.5, n)
    debt = rng.lognormal(9, 1.0, n)
    loans = pd.DataFrame(
        {
            "loan_id": np.arange(5000, 5000 + n),
            "default": (rng.random(n) < 1 / (1 + np.exp(-(np.log(debt / income) + 1)))).astype(int),
            "income": income.round(2),
            "debt": debt.round(2),
            "age": rng.integers(18, 80, n),
            "purpose": rng.choice(["car", "home", "study", None], n),
            "has_guarantor": rng.choice(["Y", "N"], n),
        }
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    loans.to_csv(raw / "loans.csv", index=False)
    cfg = stage_config(tmp_path, raw, ["dataset=single_table"])

    ingest(cfg, **quiet)
    merge(cfg, **quiet)
    split_stage(cfg, **quiet)
    report = features_stage(cfg, **quiet)
    eda_stage(cfg, **quiet)

    side = pd.read_parquet(Path(cfg.paths.merge) / "side_features.parquet")
    assert list(side.columns) == ["loan_id"] and side.empty
    assert report["rows"] == {"train": 420, "valid": 90, "test": 90, "production": 0}
    train = pd.read_parquet(Path(cfg.paths.features) / "train.parquet")
    assert {"debt_income_ratio", "purpose_car", "purpose_nan", "has_guarantor", "age"} <= set(train.columns)
    assert Path(cfg.paths.eda_report).stat().st_size > 0
