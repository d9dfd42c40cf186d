"""On the default dataset (data/raw, 30,000 applicants): LightGBM > logistic regression > dummy, and the
LightGBM reaches at least 97 % of the oracle's ROC AUC on the same test rows.

Slow (the data stages and three trainings, a few minutes); skipped when data/raw has not been generated.
Fixed parameters (tuning none), so that the check does not depend on a search.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from credit_scoring.config import compose_config
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUIET = {"log": lambda _msg: None}
ORACLE_SHARE = 0.97  # the champion must reach 97 % of the oracle's ROC AUC


@pytest.fixture(scope="module")
def test_metrics(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    raw = repo_root / "data" / "raw"
    oracle = repo_root / "data" / "oracle" / "oracle.csv"
    if not (raw / "application_train.csv").is_file() or not oracle.is_file():
        pytest.skip("the default dataset is not generated (make data)")
    root = tmp_path_factory.mktemp("default_models")
    data = [
        f"paths.ingest={root}/ingest",
        f"paths.merge={root}/merge",
        f"paths.split={root}/split",
        f"paths.features={root}/features",
        "runtime.threads=1",
    ]
    data_cfg = compose_config([f"paths.raw={raw}", *data])
    for stage in (ingest, merge, split_stage, features_stage):
        stage(data_cfg, **QUIET)
    previous = mlflow.get_tracking_uri()
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        for model in ("dummy", "logreg", "lightgbm"):
            overrides = [
                *data,
                f"paths.resample={root}/resample",
                f"paths.train={root}/train_{model}",
                f"paths.register={root}/register",
                f"paths.oracle={oracle}",
                f"paths.data_dvc={repo_root}/data.dvc",
                f"registry.tracking_uri=sqlite:///{root}/mlruns/mlflow.db",
                f"registry.artifact_location={root}/mlruns/artifacts",
                "registry.log_datasets=false",
                f"model={model}",
                "tuning=none",
                "resampling=none",
            ]
            cfg = compose_config(overrides)
            if model == "dummy":
                resample_stage(cfg, **QUIET)
            train_stage(cfg, **QUIET)
            out[model] = json.loads(Catalog(cfg.paths).train_metrics.path.read_text())["test"]
    use_tracking_uri(previous)
    yield out


def test_models_are_ordered(test_metrics: dict[str, dict]) -> None:
    auc = {m: t["roc_auc"] for m, t in test_metrics.items()}
    assert auc["dummy"] == pytest.approx(0.5)
    assert auc["dummy"] < auc["logreg"] < auc["lightgbm"], auc
    cost = {m: t["business_cost"] for m, t in test_metrics.items()}
    assert cost["lightgbm"] < cost["logreg"] < cost["dummy"], cost


def test_lightgbm_close_to_the_oracle(test_metrics: dict[str, dict]) -> None:
    t = test_metrics["lightgbm"]
    assert t["roc_auc"] >= ORACLE_SHARE * t["oracle_roc_auc"], (t["roc_auc"], t["oracle_roc_auc"])
