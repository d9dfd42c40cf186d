"""A one-table dataset (an id, a target, a few columns) runs through every stage with only its YAML file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.stages.eda import run as eda_stage
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.split import run as split_stage

pytestmark = pytest.mark.integration


def test_single_table_dataset_runs_all_stages(tmp_path: Path, stage_config, quiet, loan_book) -> None:
    raw = tmp_path / "raw"
    loan_book(raw, 600, 5000, 0)
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
