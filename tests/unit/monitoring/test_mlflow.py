"""The monitoring run in MLflow: tags linking it to the champion, headline metrics, per-feature PSI, files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.monitoring.drift import drift_table
from credit_scoring.monitoring.policy import evaluate_policy
from credit_scoring.monitoring.summary import build_summary, monitoring_metrics
from credit_scoring.tracking.monitoring_run import metric_name


@pytest.fixture(scope="module")
def summary():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {"a": rng.normal(size=2000), "b (x)": rng.normal(size=2000), "score": rng.beta(1, 9, 2000)}
    )
    cur = pd.DataFrame(
        {"a": rng.normal(size=500) + 1, "b (x)": rng.normal(size=500), "score": rng.beta(1, 9, 500)}
    )
    cfg = load_monitoring()
    table = drift_table(ref, cur, score_column="score", cfg=cfg)
    return build_summary(table, evaluate_policy(table, cfg.policy), cfg)


def test_headline_metrics(summary) -> None:
    m = monitoring_metrics(summary)
    assert m["action_required"] == 1.0 and m["drifted_features"] == 1.0 and m["drifted_share"] == 0.5
    assert m["score_drifted"] == 0.0 and "score_psi" in m
    assert metric_name("b (x)") == "b _x_" and metric_name("NAME_CONTRACT_TYPE_Cash_loans") == (
        "NAME_CONTRACT_TYPE_Cash_loans"
    )


@pytest.mark.slow
def test_monitoring_run_is_logged_and_linked(summary, tmp_path) -> None:
    import mlflow

    from credit_scoring.tracking.monitoring_run import log_monitoring_run
    from credit_scoring.tracking.store import use_tracking_uri

    previous = mlflow.get_tracking_uri()
    use_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = mlflow.create_experiment("monitoring-test", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=exp, run_name="champion") as champ:
        pass
    report = tmp_path / "report.html"
    report.write_text("<html></html>")
    run_id = log_monitoring_run(
        summary, [report], experiment_id=exp, champion_run_id=champ.info.run_id,
        champion_model_uri="models:/credit_scoring@champion", nest_under_champion=True,
    )  # fmt: skip
    run = mlflow.get_run(run_id)
    assert run.data.tags["champion_run_id"] == champ.info.run_id
    assert run.data.tags["mlflow.parentRunId"] == champ.info.run_id
    assert run.data.tags["monitoring.status"] == "action required"
    assert run.data.metrics["psi/a"] == pytest.approx(summary["features"]["a"]["psi"])
    assert "psi/b _x_" in run.data.metrics
    files = {f.path for f in mlflow.MlflowClient().list_artifacts(run_id, "monitoring")}
    assert files == {"monitoring/summary.json", "monitoring/report.html"}
    logged = mlflow.artifacts.load_dict(f"runs:/{run_id}/monitoring/summary.json")
    assert json.dumps(logged) == json.dumps(summary)
    use_tracking_uri(previous)


def test_pointing_mlflow_at_a_store_does_not_pass_for_the_users_choice(monkeypatch) -> None:
    """mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI; the project's helper leaves the environment alone,
    so that the next configuration read in the same process is obeyed."""
    import os

    import mlflow

    from credit_scoring.config.modelling import RegistryConfig
    from credit_scoring.tracking.store import ENV_TRACKING_URI, tracking_uri, use_tracking_uri

    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    previous = mlflow.get_tracking_uri()
    try:
        use_tracking_uri("sqlite:////tmp/first-store/mlflow.db")
        assert mlflow.get_tracking_uri() == "sqlite:////tmp/first-store/mlflow.db"
        assert ENV_TRACKING_URI not in os.environ
        second = RegistryConfig(tracking_uri="sqlite:////tmp/second-store/mlflow.db")
        assert tracking_uri(second) == "sqlite:////tmp/second-store/mlflow.db"
        monkeypatch.setenv(ENV_TRACKING_URI, "http://mlflow.bank.example:5000")  # the user's own choice wins
        use_tracking_uri("sqlite:////tmp/first-store/mlflow.db")
        assert os.environ[ENV_TRACKING_URI] == "http://mlflow.bank.example:5000"
        assert tracking_uri(second) == "http://mlflow.bank.example:5000"
    finally:
        use_tracking_uri(previous)
        monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
