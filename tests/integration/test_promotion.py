"""Promotion with approval and an audit trail, on a tiny generated dataset in a private MLflow store.

register -> @challenger (auto_promote off); `credit-scoring promote` by the run's author is refused under
four-eyes; by another approver it moves @champion; a second version is promoted, then rolled back; the
history (registry tags, reports/champion_history.*) lists every move; every promotion over a champion
prints and records the migration matrix of the test split (champion grade x promoted grade); the app's
service swaps champions without a restart (on request and by its alias watcher). Register is honest with DVC: a rerun of the same train run reuses its version and its
decision, a version left undecided by a killed register is decided on the rerun, and champion.json follows
the live aliases (also after a promote).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from credit_scoring.cli.main import app
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.history import HISTORY_HTML, HISTORY_JSONL, read_history, system_user
from credit_scoring.tracking.store import use_tracking_uri
from credit_scoring.tracking.train_run import find_train_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
OTHER = "second.line.approver"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    previous = mlflow.get_tracking_uri()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield f"sqlite:///{tmp_path}/mlflow.db"
    use_tracking_uri(previous)


def promote_cli(store: str, reports: Path, *args: str, four_eyes: bool = True, paths: list[str] = ()):
    overrides = [f"registry.tracking_uri={store}", f"monitoring.report.reports_dir={reports}",
                 f"registry.four_eyes={str(four_eyes).lower()}", *paths]  # fmt: skip
    return CliRunner().invoke(app, ["promote", *args, "--params", str(REPO / "params.yaml"), *overrides])


def stage_paths(cfg) -> list[str]:
    """The overrides pointing `promote` at a configuration's stage outputs (its test split's rows)."""
    keys = ("raw", "ingest", "merge", "split", "features")
    return [f"paths.{k}={getattr(cfg.paths, k)}" for k in keys]


def migration_of(client: MlflowClient, name: str) -> dict:
    """The migration record of the last history line."""
    return read_history(client, name)[-1]["migration"]


def holder(client: MlflowClient, name: str, alias: str) -> str:
    return str(client.get_model_version_by_alias(name, alias).version)


def test_register_challenger_promote_rollback_and_history(
    tmp_path: Path, tiny_raw: Path, store: str, stage_config, quiet
) -> None:
    root, reports = tmp_path / "work", tmp_path / "reports"
    base = [
        f"paths.resample={root}/artifacts/resample",
        f"paths.register={root}/artifacts/register",
        f"paths.oracle={root}/no-oracle.csv",
        f"paths.data_dvc={root}/data.dvc",
        f"monitoring.report.reports_dir={reports}",
        f"registry.tracking_uri={store}",
        f"registry.artifact_location={tmp_path}/mlruns/artifacts",
        "registry.min_test_roc_auc=0.0",
        "registry.log_datasets=false",
        "registry.auto_promote=false",
        "registry.bootstrap_resamples=200",
        "tuning=none",
        "runtime.threads=1",
        "serving.reload_seconds=0.2",
    ]

    def cfg(train: str, *extra: str):
        return stage_config(root, tiny_raw, [*base, f"paths.train={root}/artifacts/{train}", *extra])

    first = cfg("train1")
    for stage in (ingest, merge, split_stage, features_stage, resample_stage, train_stage):
        stage(first, **quiet)
    out1 = register_stage(first, **quiet)
    name, client = out1["model_name"], MlflowClient(store, store)
    catalog = Catalog(first.paths)
    assert out1["promoted"] and out1["version"] == "1"
    assert holder(client, name, "challenger") == "1"
    aliases = catalog.live_aliases.read()
    assert aliases["champion"] is None and aliases["challenger"]["version"] == "1"

    # the author may not approve under four-eyes: one clear line, exit 1, nothing moved
    refused = promote_cli(store, reports, "--version", "1", "--approver", system_user(), "--reason", "mine")
    assert refused.exit_code == 1, refused.output
    assert "four-eyes" in refused.output and "Traceback" not in refused.output
    assert [h["alias"] for h in read_history(client, name)] == ["challenger"]
    unknown = promote_cli(store, reports, "--version", "9", "--approver", OTHER, "--reason", "x")
    assert unknown.exit_code == 1 and "no version 9" in unknown.output

    paths = stage_paths(first)
    done = promote_cli(store, reports, "--version", "1", "--approver", OTHER, "--reason", "validated: RISK-1",
                       paths=paths)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert holder(client, name, "champion") == "1"
    assert "No champion before: no migration matrix" in done.output
    assert "migration" not in read_history(client, name)[-1]
    test_rows = len(catalog.features_part("test").read())

    from credit_scoring.serving.service import ScoringService

    service = ScoringService(first)
    assert service.champion.card.version == "1"

    # the same model trained again: equal costs are noise, refused at margin 0; passes as non-inferior
    second = cfg("train2", "registry.cost_tolerance=1.0")
    train_stage(second, **quiet)
    out2 = register_stage(second, **quiet)
    assert out2["promoted"] and out2["comparison"]["cost_difference"]["high"] < 1.0, out2["reason"]
    assert holder(client, name, "champion") == "1" and holder(client, name, "challenger") == "2"
    better = promote_cli(
        store, reports, "--version", "2", "--approver", OTHER, "--reason", "better", paths=paths
    )
    assert better.exit_code == 0, better.output
    assert service.refresh() and service.champion.card.version == "2"  # swapped without a restart

    # the migration matrix at promotion: champion v1's grades (rows) x v2's (columns) on every test row
    grades = len(first.validation.grade_edges) + 1
    forward = migration_of(client, name)
    matrix = np.array(forward["matrix"])
    assert (forward["from_version"], forward["to_version"], forward["population"]) == ("1", "2", "test split")
    assert matrix.shape == (grades, grades) and matrix.sum() == forward["rows"] == test_rows > 0
    assert forward["summary"]["same"] == pytest.approx(np.trace(matrix) / test_rows)
    printed = better.output
    assert f"Migration on the test split ({test_rows:,} rows)" in printed and "same grade" in printed
    assert "version 1 (rows) -> version 2 (columns)" in printed

    # rollback: promote the earlier version, its own history line
    back = promote_cli(store, reports, "--version", "1", "--approver", OTHER, "--reason", "rollback: RISK-2",
                       paths=paths)  # fmt: skip
    assert back.exit_code == 0, back.output
    assert service.refresh() and service.champion.card.version == "1"
    backward = migration_of(client, name)  # the same rows graded the other way round: the transpose
    assert (backward["from_version"], backward["to_version"]) == ("2", "1")
    assert np.array_equal(np.array(backward["matrix"]), matrix.T)
    moves = [(h["alias"], h["from_version"], h["to_version"], h["who"]) for h in read_history(client, name)]
    assert moves == [
        ("challenger", None, "1", f"{system_user()} (register)"),
        ("champion", None, "1", OTHER),
        ("challenger", "1", "2", f"{system_user()} (register)"),
        ("champion", "1", "2", OTHER),
        ("champion", "2", "1", OTHER),
    ]
    exported = [json.loads(x) for x in (reports / HISTORY_JSONL).read_text().splitlines()]
    assert [x["why"] for x in exported][-2:] == ["better", "rollback: RISK-2"]
    assert exported[1]["gate"]["author"] == system_user() and "cost_difference" in str(exported[3]["gate"])
    assert "rollback: RISK-2" in (reports / HISTORY_HTML).read_text()
    assert [x.get("migration", {}).get("rows") for x in exported] == [None, None, None, test_rows, test_rows]
    assert f"{test_rows:,} rows, same grade" in (reports / HISTORY_HTML).read_text()
    assert (
        service.champion_history().iloc[0]["why"] == "rollback: RISK-2"
    )  # the app's Model tab, newest first

    # a rerun of register (dvc: always_changed) reuses the version and the decision, and records the live
    # aliases: champion.json says version 1 (the rollback), though the stage's own decision was version 2's
    before = catalog.outcome.path.read_bytes()
    again = register_stage(second, **quiet)
    assert again["version"] == "2" and catalog.outcome.path.read_bytes() == before
    assert len(client.search_model_versions(f"name='{name}'")) == 2
    assert catalog.live_aliases.read()["champion"]["version"] == "1"

    # a register killed after registering, before deciding: the rerun decides that version, no new one
    third = cfg("train3", "registry.cost_tolerance=1.0")
    train_stage(third, **quiet)
    run = Catalog(third.paths).train_run.read()
    use_tracking_uri(store)
    made = find_train_run(client, third.registry.experiment, run["run_key"])
    mlflow.register_model(made.model_uri, name, tags={"run_id": made.run_id})
    assert "gate_decision" not in client.get_model_version(name, "3").tags
    out3 = register_stage(third, **quiet)
    assert out3["version"] == "3" and len(client.search_model_versions(f"name='{name}'")) == 3
    assert client.get_model_version(name, "3").tags["gate_decision"] == "promoted"

    # a version the gate rejected needs --force, which the history records; four-eyes off lets the author
    worse = cfg("train4", "model=dummy")
    train_stage(worse, **quiet)
    out4 = register_stage(worse, **quiet)
    assert not out4["promoted"] and out4["version"] == "4"
    rejected = promote_cli(store, reports, "--version", "4", "--approver", OTHER, "--reason", "x")
    assert rejected.exit_code == 1 and "failed the gate" in rejected.output and "--force" in rejected.output
    # the app's alias watcher serves the new champion without a restart (no refresh asked for): a dummy
    # gives every client the same probability, the lightgbm champion does not
    ids = service.store.ids[:2]
    assert service.score_client(ids[0]).model_version == "1"
    assert service.score_client(ids[0]).probability != service.score_client(ids[1]).probability
    service.start_watcher()
    # without the test split here (paths.split elsewhere) the matrix is missing: the line says why, the
    # promotion goes ahead
    forced = promote_cli(store, reports, "--version", "4", "--approver", system_user(), "--reason", "drill",
                         "--force", four_eyes=False, paths=[*paths, f"paths.split={tmp_path}/no-split"])  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert read_history(client, name)[-1]["gate"]["forced"] is True
    assert "no-split" in migration_of(client, name)["error"] and "No migration matrix" in forced.output
    deadline = time.monotonic() + 120
    while service.champion.card.version != "4" and time.monotonic() < deadline:
        time.sleep(0.2)
    service.stop()
    scored = [service.score_client(i) for i in ids]
    assert [r.model_version for r in scored] == ["4", "4"]
    assert scored[0].probability == scored[1].probability
