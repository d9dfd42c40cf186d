"""The migration of a tracking store, between two local SQLite stores (the server case is in
tests/integration/test_tracking_server.py), and its command's bad arguments."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from credit_scoring.cli.main import app
from credit_scoring.tracking.migrate import MIGRATED_FROM, migrate


def _source(tmp_path: Path) -> tuple[str, str]:
    uri = f"sqlite:///{tmp_path}/src.db"
    client = MlflowClient(uri, registry_uri=uri)
    experiment = client.create_experiment("solo", artifact_location=(tmp_path / "src-art").as_uri())
    run = client.create_run(experiment, run_name="r")
    client.log_metric(run.info.run_id, "auc", 0.7, step=0)
    client.log_metric(run.info.run_id, "auc", 0.8, step=1)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.txt").write_text("m\n")
    client.log_artifacts(run.info.run_id, str(tmp_path / "m"), "model")
    client.set_terminated(run.info.run_id)
    client.create_registered_model("solo_model")
    client.create_model_version("solo_model", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    client.set_registered_model_alias("solo_model", "champion", "1")
    return uri, run.info.run_id


def test_migrate_copies_runs_versions_and_aliases_once(tmp_path: Path) -> None:
    source, run_id = _source(tmp_path)
    target = f"sqlite:///{tmp_path}/dst.db"
    dest = MlflowClient(target, registry_uri=target)
    dest.create_experiment("solo", artifact_location=(tmp_path / "dst-art").as_uri())
    report = migrate(source, target, log=lambda _m: None)
    assert (report.runs, report.versions, report.aliases) == (1, 1, {"solo_model": {"champion": "1"}})
    (copied,) = dest.search_runs([dest.get_experiment_by_name("solo").experiment_id])
    assert copied.data.tags[MIGRATED_FROM] == run_id and copied.info.run_id != run_id
    assert [m.value for m in dest.get_metric_history(copied.info.run_id, "auc")] == [0.7, 0.8]
    version = dest.get_model_version_by_alias("solo_model", "champion")
    assert version.run_id == copied.info.run_id
    assert [a.path for a in dest.list_artifacts(copied.info.run_id)] == ["model", "registered"]
    again = migrate(source, target, log=lambda _m: None)
    assert (again.runs, again.versions, again.skipped_runs) == (0, 0, 1)


def test_migrate_command_names_a_bad_target() -> None:
    result = CliRunner().invoke(app, ["tracking", "migrate", "--to", "not-a-server"])
    assert result.exit_code == 2 and "--to" in result.output
