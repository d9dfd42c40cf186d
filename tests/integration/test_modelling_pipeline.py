"""Modelling stages end to end on a small generated dataset: resample -> train -> register, then scoring.

One module fixture generates 2,000 applicants, runs the data stages and trains a LightGBM with 3 Hyperopt
trials into a temporary MLflow store; the tests then check the champion, the pyfunc, the metrics, the gate
and the model's behaviour. Single-threaded and tiny, so that it stays within a minute or two.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from credit_scoring.config import Config, compose_config
from credit_scoring.features.rows import side_features_frame, split_rows
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.io.catalog import PLOT_FILES, Catalog
from credit_scoring.scoring.pipeline import DECISION, PROBABILITY, THRESHOLD
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.runner import run_main as run_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri

pytestmark = pytest.mark.integration

APPLICANTS = 2_000
QUIET = {"log": lambda _msg: None}
EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")
EXT_STEP = 0.1  # a better external score, in the score's own units
MAX_RISK_RISE = 0.02  # "never raises the predicted risk by much": at most 2 points of probability


@dataclass
class Workspace:
    root: Path
    tracking_uri: str

    def config(self, *overrides: str, train_dir: str = "train") -> Config:
        r = self.root
        paths = [
            f"paths.ingest={r}/artifacts/ingest",
            f"paths.merge={r}/artifacts/merge",
            f"paths.split={r}/artifacts/split",
            f"paths.features={r}/artifacts/features",
            f"paths.resample={r}/artifacts/resample",
            f"paths.train={r}/artifacts/{train_dir}",
            f"paths.register={r}/artifacts/register",
            f"paths.oracle={r}/oracle/oracle.csv",
            f"paths.data_dvc={r}/data.dvc",
            f"registry.tracking_uri={self.tracking_uri}",
            f"registry.artifact_location={r}/mlruns/artifacts",
            "runtime.threads=1",
        ]
        if not any(o.startswith("tuning=") for o in overrides):
            paths.append("tuning=quick")  # 3 trials
        return compose_config([*paths, *overrides])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("modelling")
    generate(GeneratorConfig(applicants=APPLICANTS, seed=7), root / "raw", root / "oracle")
    data_cfg = compose_config(
        [
            f"paths.raw={root}/raw",
            f"paths.ingest={root}/artifacts/ingest",
            f"paths.merge={root}/artifacts/merge",
            f"paths.split={root}/artifacts/split",
            f"paths.features={root}/artifacts/features",
            "runtime.threads=1",
        ]
    )
    for stage in (ingest, merge, split_stage, features_stage):
        stage(data_cfg, **QUIET)
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        yield Workspace(root, f"sqlite:///{root}/mlruns/mlflow.db")
    use_tracking_uri(previous)


@pytest.fixture(scope="module")
def champion(workspace: Workspace) -> dict:
    """LightGBM, 3 Hyperopt trials, registered: the first model takes the alias."""
    cfg = workspace.config("model=lightgbm", "resampling=none")
    resample_stage(cfg, **QUIET)
    metrics = train_stage(cfg, **QUIET)
    outcome = register_stage(cfg, **QUIET)
    return {"cfg": cfg, "metrics": metrics, "outcome": outcome}


def raw_rows(cfg: Config, part: str) -> pd.DataFrame:
    return split_rows(Catalog(cfg.paths), cfg.dataset, cfg.features, part)


def load_champion(cfg: Config):
    use_tracking_uri(cfg.registry.tracking_uri)
    return mlflow.pyfunc.load_model(f"models:/{cfg.registry.model_name}@{cfg.registry.alias}")


def test_first_model_becomes_champion(champion: dict) -> None:
    outcome = champion["outcome"]
    assert outcome["promoted"] is True and outcome["version"] == "1"
    cfg = champion["cfg"]
    saved = json.loads(Catalog(cfg.paths).outcome.path.read_text())
    assert saved == json.loads(json.dumps(outcome))
    client = MlflowClient(cfg.registry.tracking_uri)
    assert str(client.get_model_version_by_alias(cfg.registry.model_name, cfg.registry.alias).version) == "1"


def test_champion_scores_raw_application_test_rows(champion: dict, workspace: Workspace) -> None:
    cfg = champion["cfg"]
    model = load_champion(cfg)
    app = pd.read_csv(workspace.root / "raw" / "application_test.csv")  # Y/N flags, text categories
    side = side_features_frame(Catalog(cfg.paths), cfg.features, "SK_ID_CURR", app["SK_ID_CURR"].head(50))
    for rows in (app.head(50), app.head(50).merge(side, on="SK_ID_CURR", how="left")):
        out = model.predict(rows)
        assert list(out.columns) == [PROBABILITY, DECISION, THRESHOLD] and len(out) == len(rows)
        assert out[PROBABILITY].between(0, 1).all()
        assert (out[DECISION] == (out[PROBABILITY] >= out[THRESHOLD]).astype(int)).all()
    one = model.predict(
        app.iloc[[0]][["SK_ID_CURR", "AMT_INCOME_TOTAL", "EXT_SOURCE_2"]]
    )  # a sparse new client
    assert len(one) == 1 and 0 < one[PROBABILITY].iloc[0] < 1


def test_pyfunc_equals_in_process_pipeline(champion: dict) -> None:
    """The logged model on raw rows gives the probabilities of the in-process pipeline on the features table."""
    cfg = champion["cfg"]
    model = load_champion(cfg)
    pipeline = model.unwrap_python_model().pipeline
    test = pd.read_parquet(Path(cfg.paths.features) / "test.parquet")
    raw = raw_rows(cfg, "test")
    assert raw["SK_ID_CURR"].tolist() == test["SK_ID_CURR"].tolist()
    served = model.predict(raw.drop(columns=["TARGET"]))[PROBABILITY].to_numpy()
    in_process = pipeline.probability_of_features(test)
    assert np.max(np.abs(served - in_process)) < 1e-6
    metrics = json.loads(Catalog(cfg.paths).train_metrics.path.read_text())
    assert pipeline.threshold == pytest.approx(metrics["threshold"])


def test_metrics_and_plots_for_dvc(champion: dict) -> None:
    cfg = champion["cfg"]
    metrics = json.loads(Catalog(cfg.paths).train_metrics.path.read_text())
    for split in ("valid", "test"):
        for key in (
            "roc_auc",
            "pr_auc",
            "ks",
            "gini",
            "brier",
            "recall",
            "precision",
            "accuracy",
            "business_cost",
        ):
            assert key in metrics[split], (split, key)
    t = metrics["test"]
    assert 0.5 < t["oracle_roc_auc"] <= 1 and t["roc_auc_vs_oracle"] == pytest.approx(
        t["roc_auc"] / t["oracle_roc_auc"]
    )
    assert t["gini"] == pytest.approx(2 * t["roc_auc"] - 1)
    assert 0 < metrics["threshold"] < 0.5  # cost 10:1 -> far below 0.5
    assert metrics["tuning"]["trials"] == 3
    columns = {"roc": {"fpr", "tpr"}, "pr": {"recall", "precision"}, "calibration": {"predicted", "observed"}}
    columns["cost"] = {"threshold", "valid_cost", "test_cost"}
    for name in PLOT_FILES:
        frame = Catalog(cfg.paths).plot(name).read()
        assert columns[name] <= set(frame.columns) and len(frame) > 1, name


def test_mlflow_parent_run_with_nested_trials(champion: dict) -> None:
    cfg = champion["cfg"]
    client = MlflowClient(cfg.registry.tracking_uri)
    run_id = client.get_model_version(cfg.registry.model_name, champion["outcome"]["version"]).run_id
    run = client.get_run(run_id)
    assert {"git_commit", "data_dvc_md5", "model_kind", "resampling"} <= set(run.data.tags)
    assert run.data.tags["gate_decision"] == "promoted"
    assert {"test_roc_auc", "test_business_cost", "test_brier", "threshold", "test_oracle_roc_auc"} <= set(
        run.data.metrics
    )
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert len(children) == 3 and all("valid_roc_auc" in c.data.metrics for c in children)
    artifacts = {a.path for a in client.list_artifacts(run_id)} | {
        a.path for a in client.list_artifacts(run_id, "plots")
    }
    assert {
        "config.yaml",
        "plots/roc.png",
        "plots/cost.png",
        "plots/importance.png",
        "importance.json",
    } <= artifacts
    assert {d.dataset.name for d in run.inputs.dataset_inputs} >= {"training", "validation", "test"}


def test_smote_rows_never_reach_validation_or_test(champion: dict, workspace: Workspace) -> None:
    cfg = workspace.config(
        "model=lightgbm", "resampling=smote", f"paths.resample={workspace.root}/resample_smote"
    )
    features = Path(cfg.paths.features)
    held = {p: pd.read_parquet(features / f"{p}.parquet") for p in ("valid", "test")}
    resample_stage(cfg, **QUIET)
    out = Catalog(cfg.paths).resampled.read()
    train_ids = set(pd.read_parquet(features / "train.parquet")["SK_ID_CURR"])
    assert (out["SK_ID_CURR"] < 0).sum() > 0  # synthetic rows exist, with negative ids
    assert set(out.loc[out["SK_ID_CURR"] > 0, "SK_ID_CURR"]) <= train_ids
    for part, frame in held.items():
        assert not set(frame["SK_ID_CURR"]) & set(out["SK_ID_CURR"]), part
        pd.testing.assert_frame_equal(pd.read_parquet(features / f"{part}.parquet"), frame)  # untouched


def test_cross_validated_train_stage_with_per_fold_smote(champion: dict, workspace: Workspace) -> None:
    """tuning.cv_folds: the objective on folds of train + valid (SMOTE inside each fold), a refit on all of
    them, calibration on out-of-fold scores; the test split and the parity check as without folds."""
    cfg = workspace.config(
        "model=lightgbm",
        "resampling=smote",
        "tuning.max_evals=1",
        "tuning.cv_folds=3",
        f"paths.resample={workspace.root}/resample_smote_cv",
        train_dir="train_cv",
    )
    resample_stage(cfg, **QUIET)
    metrics = train_stage(cfg, **QUIET)
    features = Path(cfg.paths.features)
    pool = sum(len(pd.read_parquet(features / f"{p}.parquet")) for p in ("train", "valid"))
    assert metrics["valid"]["rows"] == pool  # out-of-fold scores of every train + valid row
    assert metrics["test"]["rows"] == len(pd.read_parquet(features / "test.parquet"))
    assert metrics["tuning"]["cv_folds"] == 3 and metrics["tuning"]["rounds"] > 0
    assert metrics["parity_max_abs_diff"] <= 1e-6
    trials = Catalog(cfg.paths).trials.read()
    assert {"oof_roc_auc", "valid_roc_auc_std"} <= set(trials.columns)


def test_worse_challenger_does_not_take_the_alias(champion: dict, workspace: Workspace) -> None:
    # no AUC floor: the business-cost comparison with the champion alone must refuse the dummy
    cfg = workspace.config(
        "model=dummy", "tuning=none", "registry.min_test_roc_auc=0", train_dir="train_dummy"
    )
    train_stage(cfg, **QUIET)
    outcome = register_stage(cfg, **QUIET)
    assert champion["outcome"]["challenger"]["business_cost"] < outcome["challenger"]["business_cost"]
    assert outcome["promoted"] is False and "champion version 1's" in outcome["reason"]
    assert "noise" in outcome["reason"]  # the paired bootstrap, not a point comparison
    client = MlflowClient(cfg.registry.tracking_uri)
    name = cfg.registry.model_name
    assert str(client.get_model_version_by_alias(name, cfg.registry.alias).version) == "1"
    version = client.get_model_version(name, outcome["version"])
    assert version.tags["gate_decision"] == "rejected" and version.tags["gate_reason"] == outcome["reason"]
    assert client.get_run(version.run_id).data.tags["gate_reason"] == outcome["reason"]


def test_better_external_score_never_raises_the_risk_by_much(champion: dict) -> None:
    cfg = champion["cfg"]
    pipeline = load_champion(cfg).unwrap_python_model().pipeline
    rows = raw_rows(cfg, "test").drop(columns=["TARGET"])
    base = pipeline.predict(rows)[PROBABILITY].to_numpy()
    for col in EXT_SOURCES:
        better = rows.assign(**{col: (rows[col] + EXT_STEP).clip(upper=1.0)})
        rise = pipeline.predict(better)[PROBABILITY].to_numpy() - base
        assert rise.max() <= MAX_RISK_RISE, (col, float(rise.max()))
        assert rise.mean() < 0, col  # and on average the risk falls


def test_stage_runner_reports_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_stage("train", train_stage, ["--params", str(tmp_path / "missing.yaml")])
    assert code == 1 and "params.py" in capsys.readouterr().err


def test_one_row_equals_batch_and_the_parity_check_ran(champion: dict, workspace: Workspace) -> None:
    """The same rows scored one at a time and as one batch give the same probabilities (the column plan's
    few-rows and batch paths), on stored, CSV-like and JSON-like rows; the train stage's parity check ran."""
    from credit_scoring.tracking.model_log import json_ready

    cfg = champion["cfg"]
    assert 0 <= champion["metrics"]["parity_max_abs_diff"] <= 1e-6
    model = load_champion(cfg)
    stored = raw_rows(cfg, "test").drop(columns=["TARGET"]).head(60)
    app = pd.read_csv(workspace.root / "raw" / "application_test.csv").head(60)  # Y/N flags, text
    side = side_features_frame(Catalog(cfg.paths), cfg.features, "SK_ID_CURR", app["SK_ID_CURR"])
    csv_like = app.merge(side, on="SK_ID_CURR", how="left")
    for rows in (stored, csv_like, json_ready(stored)):
        batch = model.predict(rows)
        for i in range(0, len(rows), 6):
            one = model.predict(rows.iloc[[i]].reset_index(drop=True))
            assert one[PROBABILITY].iloc[0] == pytest.approx(batch[PROBABILITY].iloc[i], abs=1e-12, rel=0)
            assert one[DECISION].iloc[0] == batch[DECISION].iloc[i]


@pytest.fixture
def rest_server(champion: dict, workspace: Workspace) -> Iterator[str]:
    """`credit-scoring serve` (mlflow models serve of the champion) on a free loopback port; stopped after."""
    import http.client
    import socket
    import subprocess
    import sys
    import time

    from credit_scoring.tracking.rest import PING

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = champion["cfg"]
    params = Path(__file__).resolve().parents[2] / "params.yaml"
    log = (workspace.root / f"serve_{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credit_scoring.cli.main",
            "serve",
            "--params",
            str(params),
            f"registry.tracking_uri={cfg.registry.tracking_uri}",
            f"serving.rest.port={port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600  # a loaded 2-core machine: imports + model load take minutes
        while True:
            assert proc.poll() is None, (workspace.root / f"serve_{port}.log").read_text()[-3000:]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", PING)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the scoring server did not start within 600 s"
            time.sleep(1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_rest_endpoint_answers_as_the_pyfunc(champion: dict, rest_server: str) -> None:
    """POST /invocations (dataframe_split and inputs, one row and many; dataframe_records) ==
    pyfunc.predict."""
    import http.client

    from credit_scoring.tracking.rest import INVOCATIONS, columnar_inputs, dataframe_split

    cfg = champion["cfg"]
    model = load_champion(cfg)
    rows = raw_rows(cfg, "test").drop(columns=["TARGET"]).head(25)
    expected = model.predict(rows)
    host, port = rest_server.split(":")

    def post(body: str) -> pd.DataFrame:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("POST", INVOCATIONS, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read()
        assert response.status == 200, text[:1000]
        return pd.DataFrame(json.loads(text)["predictions"])

    split = json.loads(dataframe_split(rows.head(5)))["dataframe_split"]
    records = [dict(zip(split["columns"], row, strict=True)) for row in split["data"]]
    answers = [
        (post(dataframe_split(rows)), expected),
        (post(dataframe_split(rows.iloc[[3]])), expected.iloc[[3]]),
        (post(json.dumps({"dataframe_records": records})), expected.head(5)),
        (post(columnar_inputs(rows.iloc[[3]])), expected.iloc[[3]]),
        (post(columnar_inputs(rows)), expected),
    ]
    for got, want in answers:
        assert list(got.columns) == [PROBABILITY, DECISION, THRESHOLD]
        np.testing.assert_allclose(got[PROBABILITY], want[PROBABILITY], rtol=0, atol=1e-12)
        assert got[DECISION].tolist() == want[DECISION].tolist()
