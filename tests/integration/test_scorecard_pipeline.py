"""The scorecard challenger end to end on the tiny dataset: resample -> train (model=scorecard, 3 Hyperopt
trials) -> register, its points table as a stage output and an MLflow artifact, the logged pyfunc, and the
scoring service's points breakdown of a client with reasons that are the variables losing the most points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from credit_scoring.config import Config, compose_config
from credit_scoring.io.catalog import Catalog
from credit_scoring.modelling.scorecard import POINTS_COLUMNS
from credit_scoring.scoring.pipeline import PROBABILITY
from credit_scoring.serving.explain import LOWERS
from credit_scoring.serving.results import POINTS_SHOWN
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.runs import POINTS_TABLE_ARTIFACT
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri
from credit_scoring.tracking.train_run import find_train_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _config(root: Path, raw: Path) -> Config:
    r = root
    return compose_config(
        [
            f"paths.raw={raw}",
            *(f"paths.{p}={r}/artifacts/{p}" for p in ("ingest", "merge", "split", "features")),
            *(f"paths.{p}={r}/artifacts/{p}" for p in ("resample", "train", "register")),
            f"paths.oracle={raw.parent}/oracle/oracle.csv",
            f"paths.data_dvc={r}/data.dvc",
            f"registry.tracking_uri=sqlite:///{r}/mlruns/mlflow.db",
            f"registry.artifact_location={r}/mlruns/artifacts",
            "registry.min_test_roc_auc=0.0",  # a few hundred applicants: the floor is not what is tested
            "model=scorecard",
            "features=minimal",  # the application columns: a few seconds of binning per trial
            "tuning=quick",
            "resampling=none",
            "runtime.threads=1",
        ]
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_raw: Path) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("scorecard")
    cfg = _config(root, tiny_raw)
    quiet = {"log": lambda _msg: None}
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        for stage in (ingest, merge, split_stage, features_stage, resample_stage):
            stage(cfg, **quiet)
        metrics = train_stage(cfg, **quiet)
        outcome = register_stage(cfg, **quiet)
        yield {"cfg": cfg, "metrics": metrics, "outcome": outcome}
    use_tracking_uri(previous)


def test_the_scorecard_trains_and_takes_the_alias(trained: dict) -> None:
    cfg, metrics = trained["cfg"], trained["metrics"]
    # a few hundred applicants: the figures are noise, their presence is what is checked
    assert metrics["tuning"]["trials"] == 3 and 0 <= metrics["test"]["roc_auc"] <= 1
    assert metrics["parity_max_abs_diff"] < 1e-6  # the logged pipeline scores raw rows as in training
    assert trained["outcome"]["promoted"] is True
    run = json.loads(Catalog(cfg.paths).train_run.path.read_text())
    assert run["model_kind"] == "scorecard"


def test_points_table_is_a_stage_output_and_an_mlflow_artifact(trained: dict) -> None:
    cfg = trained["cfg"]
    table = pd.read_csv(Catalog(cfg.paths).points_table.path)
    assert list(table.columns) == POINTS_COLUMNS and len(table) > 0
    assert table["variable"].nunique() <= cfg.model.params["selection_criteria"]["iv"]["top"]
    key = json.loads(Catalog(cfg.paths).train_run.path.read_text())["run_key"]
    client = MlflowClient(cfg.registry.tracking_uri, registry_uri=cfg.registry.tracking_uri)
    run_id = find_train_run(client, cfg.registry.experiment, key).run_id
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=POINTS_TABLE_ARTIFACT, tracking_uri=cfg.registry.tracking_uri
    )
    pd.testing.assert_frame_equal(pd.read_csv(local), table)
    requirements = MlflowClient(cfg.registry.tracking_uri).download_artifacts(
        run_id, "model/requirements.txt"
    )
    assert "optbinning==" in Path(requirements).read_text()


def test_the_service_shows_a_clients_points_breakdown(trained: dict) -> None:
    from credit_scoring.serving.service import ScoringService

    cfg = trained["cfg"]
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        service = ScoringService(cfg)
        v = service.champion
        client = service.example_ids()["known"][0]
        result = service.score_client(client)
    rows = v.store.rows(np.arange(5))
    np.testing.assert_allclose(
        v.probability(v.impute(v.features_of_rows(rows))), v.pyfunc.predict(rows)[PROBABILITY], atol=1e-12
    )
    points = result.points
    assert points is not None and list(points.columns) == POINTS_SHOWN
    assert points["points_lost"].is_monotonic_decreasing and (points["points_lost"] >= 0).all()
    # reasons = the fields where the client lost the most points (in log-odds: points lost / factor)
    factor = v.pipeline.model.factor
    assert result.reasons and all(r.effect != LOWERS for r in result.reasons)
    assert result.reasons[0].contribution * factor >= points["points_lost"].iloc[0] - 1e-6
    assert result.to_dict()["points"][0]["variable"] == points["variable"].iloc[0]
