"""One lineage per dataset in the registry: a second portfolio never takes the first one's champion.

Two datasets share one MLflow store: the generated Home Credit files and a one-table loan book. Each has its
own registered model by default (`registry.model_name` names the dataset); forced under one name, the gate
refuses to compare a challenger with a champion of another dataset, unless the explicit override is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.store import use_tracking_uri

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def prepare(root: Path, raw: Path, store: str, stage_config, quiet, *overrides: str):
    """Data stages, then train, under `root`; returns a function giving the config with more overrides."""
    more = [
        f"paths.resample={root}/artifacts/resample",
        f"paths.train={root}/artifacts/train",
        f"paths.register={root}/artifacts/register",
        f"paths.oracle={root}/no-oracle.csv",
        f"paths.data_dvc={root}/data.dvc",
        f"registry.tracking_uri={store}",
        f"registry.artifact_location={root.parent}/mlruns/artifacts",
        "registry.min_test_roc_auc=0.0",
        "registry.auto_promote=true",  # both portfolios: the gate moves @champion (no approver here)
        "registry.log_datasets=false",
        "tuning=none",
        "runtime.threads=1",
        *overrides,
    ]
    cfg = stage_config(root, raw, more)
    for stage in (ingest, merge, split_stage, features_stage, resample_stage, train_stage):
        stage(cfg, **quiet)
    return lambda *extra: stage_config(root, raw, [*more, *extra])


def champion_version(store: str, name: str) -> str:
    return str(MlflowClient(store, store).get_model_version_by_alias(name, "champion").version)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private MLflow store; the process's previous tracking URI comes back afterwards."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield f"sqlite:///{tmp_path}/mlflow.db"
    use_tracking_uri(previous)


def test_each_dataset_keeps_its_own_champion(
    tmp_path: Path, tiny_raw: Path, store: str, stage_config, quiet, loan_book
) -> None:
    home = prepare(tmp_path / "home", tiny_raw, store, stage_config, quiet)
    first = register_stage(home(), **quiet)
    assert first["model_name"] == "credit_scoring-home_credit" and first["promoted"]

    raw = tmp_path / "loans_raw"
    loan_book(raw, 800, 1, 1)
    loans = prepare(tmp_path / "loans", raw, store, stage_config, quiet, "dataset=single_table")
    second = register_stage(loans(), **quiet)
    assert second["model_name"] != first["model_name"] and second["promoted"]
    assert second["champion_before"] is None  # its own lineage: nothing to compare with
    assert champion_version(store, first["model_name"]) == first["version"]

    # forced under the first portfolio's name: refused, the first champion stays
    shared = register_stage(loans(f"registry.model_name={first['model_name']}"), **quiet)
    assert not shared["promoted"], shared["reason"]
    assert "dataset 'home_credit'" in shared["reason"] and "replace_incomparable" in shared["reason"]
    assert shared["champion_before"]["comparable"] is False
    assert champion_version(store, first["model_name"]) == first["version"]

    # the explicit override replaces it, and says so
    forced = register_stage(
        loans(f"registry.model_name={first['model_name']}", "registry.replace_incomparable=true"), **quiet
    )
    assert forced["promoted"] and "replaced" in forced["reason"]
    assert champion_version(store, first["model_name"]) == forced["version"]
    tags = MlflowClient(store, store).get_model_version(first["model_name"], forced["version"]).tags
    assert tags["dataset"] == "single_table" and len(tags["feature_schema"]) == 16
