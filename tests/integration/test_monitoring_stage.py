"""The `monitor` stage and `credit-scoring monitor` end to end on a small generated dataset.

One module fixture generates 2,000 applicants, runs the data stages, trains an untuned LightGBM into a
temporary MLflow store and registers it as the champion; the tests then run the monitoring against the
production table, files of rows and a series of generated monthly batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf
from typer.testing import CliRunner

from credit_scoring.cli.main import app
from credit_scoring.config import Config, compose, load_config
from credit_scoring.errors import InputDataError
from credit_scoring.features.rows import part_application_rows
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.generator.core import generate_batches
from credit_scoring.io.catalog import Catalog
from credit_scoring.monitoring.policy import EXIT_ACTION_REQUIRED
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.monitor import monitor, monitor_series
from credit_scoring.stages.monitor import run as monitor_stage
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.stages.validate import run as validate_stage
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri
from credit_scoring.tracking.train_run import find_train_run

pytestmark = pytest.mark.integration

APPLICANTS = 2_000
SEED = 11
QUIET = {"log": lambda _msg: None}
runner = CliRunner()


@dataclass
class Workspace:
    root: Path
    params: Path  # a params.yaml with every path under root
    cfg: Config
    champion_run: str

    @property
    def reports(self) -> Path:
        return self.root / "reports"


def _overrides(root: Path) -> list[str]:
    r = root
    return [
        f"paths.raw={r}/raw",
        f"paths.ingest={r}/artifacts/ingest",
        f"paths.merge={r}/artifacts/merge",
        f"paths.split={r}/artifacts/split",
        f"paths.features={r}/artifacts/features",
        f"paths.eda_report={r}/reports/eda.html",
        f"paths.resample={r}/artifacts/resample",
        f"paths.train={r}/artifacts/train",
        f"paths.register={r}/artifacts/register",
        f"paths.oracle={r}/oracle/oracle.csv",
        f"paths.data_dvc={r}/data.dvc",
        f"paths.monitor={r}/artifacts/monitor",
        f"paths.validation={r}/reports/validation",
        f"registry.tracking_uri=sqlite:///{r}/mlruns/mlflow.db",
        f"registry.artifact_location={r}/mlruns/artifacts",
        f"monitoring.report.reports_dir={r}/reports",
        f"monitoring.report.drift_dir={r}/reports/drift",
        f"monitoring.report.runs_dir={r}/reports/monitoring",
        "monitoring.evidently.top_features=8",
        "runtime.threads=1",
        "tuning=none",
    ]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("monitoring")
    generate(GeneratorConfig(applicants=APPLICANTS, seed=SEED), root / "raw", root / "oracle")
    params = root / "params.yaml"
    OmegaConf.save(compose(_overrides(root)), params)
    cfg = load_config(params)
    for stage in (ingest, merge, split_stage, features_stage):
        stage(cfg, **QUIET)
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        mcfg = load_config(params)
        resample_stage(mcfg, **QUIET)
        run = train_stage(mcfg, **QUIET)
        register_stage(mcfg, **QUIET)
        key = json.loads((root / "artifacts" / "train" / "run.json").read_text())["run_key"]
        run_id = find_train_run(MlflowClient(), mcfg.registry.experiment, key).run_id
        assert run  # metrics of the run
        yield Workspace(root, params, cfg, run_id)
    use_tracking_uri(previous)


@pytest.fixture(scope="module")
def stage_summary(workspace: Workspace) -> dict:
    return monitor_stage(workspace.cfg, **QUIET)


def test_stage_writes_the_summary_reports_card_and_metrics(workspace: Workspace, stage_summary: dict) -> None:
    drift = workspace.reports / "drift"
    summary = json.loads((drift / "summary.json").read_text())
    assert summary == stage_summary
    features = summary["features"]
    assert len(features) == summary["counts"]["features"] > 100  # every feature of the champion
    for entry in features.values():
        assert {"psi", "band", "drifted"} <= set(entry)
        assert entry["band"] in ("stable", "moderate", "significant", "n/a")
    # raw application columns keep their names as features, and are traced back
    assert "AMT_INCOME_TOTAL" in features and "AMT_INCOME_TOTAL" in summary["raw_columns"]
    assert summary["score"]["name"] == "score" and summary["score"]["psi"] is not None
    assert summary["evidently"]["columns"]  # the top features + score, with Evidently's verdict
    assert sum("evidently" in e for e in features.values()) == 8
    assert summary["performance"]["labels"]["labelled_rows"] > 0  # the oracle's outcomes
    for name in ("report.html", "evidently.html", "evidently.json"):
        assert (drift / name).stat().st_size > 0
    card = (workspace.reports / "model_card.md").read_text()
    for section in (
        "## Intended use",
        "## Calibration",
        "## Results by group",
        "### CODE_GENDER",
        "### AGE_BAND",
    ):
        assert section in card
    assert "Demographic parity difference" in card and "Equal opportunity difference" in card
    assert (workspace.reports / "model_card.html").is_file()
    metrics = json.loads((workspace.root / "artifacts" / "monitor" / "metrics.json").read_text())
    assert metrics["features"] == summary["counts"]["features"]
    index = (workspace.reports / "index.html").read_text()
    assert "drift/report.html" in index and "model_card.html" in index


def test_stage_run_is_logged_to_mlflow_linked_to_the_champion(
    workspace: Workspace, stage_summary: dict
) -> None:
    client = MlflowClient(tracking_uri=f"sqlite:///{workspace.root}/mlruns/mlflow.db")
    experiment = client.get_experiment_by_name(workspace.cfg.monitoring.tracking.experiment)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert runs
    run = runs[0]
    assert run.data.tags["champion_run_id"] == workspace.champion_run
    assert run.data.tags["monitoring.status"] == stage_summary["policy"]["status"]
    assert run.data.metrics["drifted_features"] == stage_summary["counts"]["drifted"]
    assert "psi/AMT_INCOME_TOTAL" in run.data.metrics


def test_validate_stage_writes_grades_tests_and_lights(workspace: Workspace) -> None:
    doc = validate_stage(workspace.cfg, **QUIET)
    folder = workspace.reports / "validation"
    assert json.loads((folder / "validation.json").read_text()) == json.loads(json.dumps(doc))
    grades = doc["test"]["master_scale"]
    assert len(grades) == len(workspace.cfg.validation.grade_edges) + 1
    assert {"binomial_p", "jeffreys_p", "light"} <= set(grades[0])
    assert sum(g["count"] for g in grades) == doc["test"]["rows"]
    assert doc["production"]["labelled"]["auc_vs_development"]["p_value"] is not None  # the oracle's labels
    assert "PD validation report" in (folder / "validation.html").read_text()
    run = MlflowClient(workspace.cfg.registry.tracking_uri).get_run(workspace.champion_run)
    assert run.data.metrics["validation.test.roc_auc"] == doc["test"]["discrimination"]["roc_auc"]["auc"]
    logged = {
        a.path
        for a in MlflowClient(workspace.cfg.registry.tracking_uri).list_artifacts(
            workspace.champion_run, "validation"
        )
    }
    assert logged == {"validation/validation.json", "validation/validation.html"}
    before = (folder / "validation.json").read_bytes()
    validate_stage(workspace.cfg, **QUIET)
    assert (folder / "validation.json").read_bytes() == before  # byte-deterministic


def _production_rows(workspace: Workspace) -> pd.DataFrame:
    return pd.read_csv(workspace.root / "raw" / "application_test.csv")


def _held_out_rows(workspace: Workspace) -> pd.DataFrame:
    """Raw rows of the test split: the training population, never seen by the model (no drift at all)."""
    cfg = workspace.cfg
    rows = part_application_rows(Catalog(cfg.paths), cfg.dataset, "test")
    return rows.drop(columns=[cfg.dataset.target])


def test_shifted_column_is_flagged_and_identical_copy_is_not(workspace: Workspace, tmp_path: Path) -> None:
    rows = _held_out_rows(workspace)
    same = tmp_path / "same.parquet"
    rows.to_parquet(same)  # the training population itself
    shifted = tmp_path / "shifted.parquet"
    rows.assign(AMT_INCOME_TOTAL=rows["AMT_INCOME_TOTAL"] * 2.5).to_parquet(shifted)
    a = monitor(workspace.cfg, current=same, out_dir=tmp_path / "a", **QUIET).summary
    b = monitor(workspace.cfg, current=shifted, out_dir=tmp_path / "b", **QUIET).summary
    assert not a["features"]["AMT_INCOME_TOTAL"]["drifted"]
    assert a["counts"]["drifted"] == 0 and not a["score"]["drifted"]
    assert b["features"]["AMT_INCOME_TOTAL"]["drifted"]
    assert b["raw_columns"]["AMT_INCOME_TOTAL"]["drifted"]


def test_cli_fail_on_drift_exit_codes(workspace: Workspace, tmp_path: Path) -> None:
    rows = _held_out_rows(workspace)
    calm = tmp_path / "calm.parquet"
    rows.to_parquet(calm)
    # a population of much better applicants: the score drifts, which is "action required"
    better = rows.assign(
        **{c: rows[c].clip(lower=0.75) for c in ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")}
    )
    risky = tmp_path / "better.parquet"
    better.to_parquet(risky)
    base = ["monitor", "--params", str(workspace.params)]
    ok = runner.invoke(app, [*base, "--current", str(calm), "--fail-on-drift"])
    assert ok.exit_code == 0, ok.output
    drift = runner.invoke(app, [*base, "--current", str(risky), "--fail-on-drift"])
    assert drift.exit_code == EXIT_ACTION_REQUIRED, drift.output
    no_flag = runner.invoke(app, [*base, "--current", str(risky)])
    assert no_flag.exit_code == 0, no_flag.output
    runs = sorted(p for p in (workspace.reports / "monitoring").iterdir() if p.is_dir())  # not the locks
    assert len(runs) >= 3 and all((r / "summary.json").is_file() for r in runs)
    assert json.loads((runs[-1] / "summary.json").read_text())["policy"]["action_required"]


def test_cli_bad_arguments_name_the_option(workspace: Workspace, tmp_path: Path) -> None:
    base = ["monitor", "--params", str(workspace.params)]
    missing = runner.invoke(app, [*base, "--current", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "--current" in missing.output
    both = runner.invoke(app, [*base, "--current", str(workspace.params), "--series", str(tmp_path)])
    assert both.exit_code == 2 and "cannot be used together" in both.output
    no_id = tmp_path / "no_id.csv"
    pd.DataFrame({"AMT_CREDIT": [1.0, 2.0]}).to_csv(no_id, index=False)
    failed = runner.invoke(app, [*base, "--current", str(no_id)])
    assert failed.exit_code == 1 and "SK_ID_CURR" in failed.output
    not_rows = tmp_path / "not_rows.csv"
    pd.DataFrame({"SK_ID_CURR": [1, 2], "COLOUR": ["red", "blue"]}).to_csv(not_rows, index=False)
    refused = runner.invoke(app, [*base, "--current", str(not_rows)])
    assert refused.exit_code == 1 and "none of the application columns" in refused.output
    no_store = runner.invoke(
        app, [*base, "--current", str(not_rows), f"registry.tracking_uri=sqlite:///{tmp_path}/empty.db"]
    )
    assert no_store.exit_code == 1 and "alias" in no_store.output  # no champion: a clear error, no traceback
    assert not (workspace.reports / "monitoring" / "not_rows").exists()
    wrong_type = tmp_path / "wrong_type.csv"
    rows = _held_out_rows(workspace).head(20).astype({"AMT_CREDIT": object})
    rows.loc[rows.index[3], "AMT_CREDIT"] = "lots"
    rows.to_csv(wrong_type, index=False)
    typed = runner.invoke(app, [*base, "--current", str(wrong_type)])
    assert typed.exit_code == 1
    assert f"{wrong_type}: column AMT_CREDIT has 1 non-numeric value (line 5: 'lots')" in typed.output
    assert "Traceback" not in typed.output


def test_absent_columns_are_named_in_the_report(workspace: Workspace, tmp_path: Path) -> None:
    rows = _held_out_rows(workspace).drop(columns=["AMT_ANNUITY", "OWN_CAR_AGE"])
    current = tmp_path / "partial.parquet"
    rows.to_parquet(current)
    meta = monitor(workspace.cfg, current=current, out_dir=tmp_path / "out", **QUIET).summary["metadata"]
    notes = " ".join(v for k, v in meta.items() if k.startswith("note"))
    assert "2 application column(s) absent" in notes and "AMT_ANNUITY" in notes and "OWN_CAR_AGE" in notes


def test_labels_give_performance_on_the_batch(workspace: Workspace, tmp_path: Path) -> None:
    rows = _production_rows(workspace)
    current = tmp_path / "batch.csv"
    rows.to_csv(current, index=False)
    result = monitor(workspace.cfg, current=current, labels=workspace.root / "oracle" / "oracle.csv",
                     out_dir=tmp_path / "out", **QUIET)  # fmt: skip
    perf = result.summary["performance"]
    assert perf["labels"]["labelled_rows"] == len(rows)
    assert 0.5 < perf["batch"]["roc_auc"] <= 1.0
    assert perf["reference"]["roc_auc"] is not None and "delta" in perf
    bad = tmp_path / "bad_labels.csv"
    pd.DataFrame({"SK_ID_CURR": rows["SK_ID_CURR"], "TARGET": 2}).to_csv(bad, index=False)
    with pytest.raises(InputDataError, match="TARGET"):
        monitor(workspace.cfg, current=current, labels=bad, out_dir=tmp_path / "bad", **QUIET)
    assert not (tmp_path / "bad").exists()  # nothing half-written


def test_series_of_batches_with_growing_drift(workspace: Workspace, tmp_path: Path) -> None:
    base = GeneratorConfig(applicants=APPLICANTS, seed=SEED)
    generate_batches(base, 2, 600, tmp_path / "batches", tmp_path / "labels")
    doc = monitor_series(workspace.cfg, tmp_path / "batches", tmp_path / "labels", tmp_path / "out", **QUIET)
    assert list(doc["batches"]) == ["month_01", "month_02"]
    series = pd.read_csv(tmp_path / "out" / "psi_series.csv")
    assert set(series["batch"]) == {"month_01", "month_02"}
    assert (series["role"] == "score").sum() == 2
    drifted = list(base.drift)  # the planted drift, full in the last month, half in the first
    psi = series[series["feature"].isin(drifted)].groupby("batch")["psi"].sum()
    assert psi["month_02"] > psi["month_01"]
    assert (tmp_path / "out" / "series.html").stat().st_size > 0
    for entry in doc["batches"].values():
        assert entry["performance"]["roc_auc"] is not None  # the months' outcomes were supplied
    # a batch folder is aggregated with the training data's categorical levels: no feature goes missing
    one = monitor(workspace.cfg, current=tmp_path / "batches" / "month_02", out_dir=tmp_path / "one", **QUIET)
    gaps = {n: e["missing_current"] - e["missing_reference"] for n, e in one.summary["features"].items()}
    worst = max(gaps, key=gaps.get)
    assert gaps[worst] < 0.2, f"{worst}: missing in {gaps[worst]:.0%} more rows than in the training data"
