"""The team's tracking server for real: PostgreSQL + MLflow (basic auth) started by scripts/server.sh on loopback.

One server per module (stopped in a finalizer, even on failure). Against it: train -> register -> the app's
scoring, checked on the server and in PostgreSQL; two register stages racing; the migration of a local store.
Skipped only where PostgreSQL is missing and cannot be installed (no apt-get, or not root).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from credit_scoring.config import Config, compose_config
from credit_scoring.config.schema import PROJECT_ROOT
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.serving.service import ScoringService
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.migrate import MIGRATED_FROM, migrate
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri
from credit_scoring.tracking.train_run import find_train_run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCRIPT = PROJECT_ROOT / "scripts" / "server.sh"
USER, PASSWORD = "admin", "team-test-password-1"
APPLICANTS = 600
QUIET = {"log": lambda _msg: None}
START_TIMEOUT = 900  # seconds: first start creates the cluster and MLflow's schema (slow on a loaded machine)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_installable() -> str | None:
    """None when PostgreSQL is there or the script can install it, else why not."""
    if any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        return None
    if shutil.which("apt-get") is None:
        return "PostgreSQL is not installed and apt-get is unavailable"
    if os.geteuid() != 0:
        return "PostgreSQL is not installed and installing it needs root"
    return None


@dataclass
class Server:
    uri: str
    pg_port: int
    state: Path

    def pg(self, sql: str, *args: object) -> list[tuple]:
        password = (self.state / "postgres.password").read_text().strip()
        with psycopg.connect(
            host="127.0.0.1", port=self.pg_port, user="mlflow", password=password, dbname="mlflow"
        ) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    reason = _postgres_installable()
    if reason:
        pytest.skip(reason)
    state = Path(tempfile.mkdtemp(prefix="cs-server-"))
    state.chmod(0o755)  # PostgreSQL runs as the postgres user when the tests run as root
    port, pg_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "SERVER_DIR": str(state),
        "SERVER_PORT": str(port),
        "PG_PORT": str(pg_port),
        "MLFLOW_TRACKING_USERNAME": USER,
        "MLFLOW_TRACKING_PASSWORD": PASSWORD,
        "SERVER_WAIT_SECONDS": str(START_TIMEOUT),
    }
    env.pop(ENV_TRACKING_URI, None)
    try:
        started = subprocess.run(
            [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=START_TIMEOUT + 120
        )
        assert started.returncode == 0, started.stdout + started.stderr + _tail(state / "mlflow.log")
        yield Server(f"http://127.0.0.1:{port}", pg_port, state)
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, timeout=180)
        shutil.rmtree(state, ignore_errors=True)


def _tail(path: Path) -> str:
    return path.read_text()[-3000:] if path.exists() else ""


@pytest.fixture(scope="module")
def on_server(server: Server) -> Iterator[Server]:
    """MLFLOW_TRACKING_URI and the credentials in the environment, as a team member has them."""
    previous = mlflow.get_tracking_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_TRACKING_URI, server.uri)
        mp.setenv("MLFLOW_TRACKING_USERNAME", USER)
        mp.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
        yield server
    use_tracking_uri(previous)


def _config(root: Path) -> Config:
    return compose_config([*_overrides(root), f"paths.register={root}/artifacts/register"])


@pytest.fixture(scope="module")
def trained(on_server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("team")
    generate(GeneratorConfig(applicants=APPLICANTS, seed=5), root / "raw", root / "oracle")
    cfg = _config(root)
    for stage in (ingest, merge, split_stage, features_stage, resample_stage):
        stage(cfg, **QUIET)
    metrics = train_stage(cfg, **QUIET)
    outcome = register_stage(cfg, **QUIET)
    return {"root": root, "cfg": cfg, "metrics": metrics, "outcome": outcome}


def test_train_register_and_score_against_the_server(trained: dict, on_server: Server) -> None:
    cfg, outcome = trained["cfg"], trained["outcome"]
    key = json.loads((Path(cfg.paths.train) / "run.json").read_text())["run_key"]
    client = MlflowClient(on_server.uri, registry_uri=on_server.uri)
    run_id = find_train_run(client, cfg.registry.experiment, key).run_id
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and "test_roc_auc" in run.data.metrics
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # proxied: the client holds no storage path
    name, alias = cfg.registry.model_name, cfg.registry.alias
    held = client.get_model_version_by_alias(name, alias)
    assert outcome["promoted"] is True and str(held.version) == str(outcome["version"])
    assert held.run_id == run_id
    # the same facts in PostgreSQL itself
    assert on_server.pg("SELECT status FROM runs WHERE run_uuid = %s", run_id) == [("FINISHED",)]
    rows = on_server.pg(
        "SELECT version FROM registered_model_aliases WHERE name = %s AND alias = %s", name, alias
    )
    assert rows == [(int(held.version),)]
    # the app's service finds the champion on the server and scores a client with it
    service = ScoringService(cfg, root=trained["root"])
    ids = service.example_ids(1)
    client_id = next(iter(v for values in ids.values() for v in values))
    result = service.score_client(client_id)
    assert 0 < result.probability < 1 and str(result.model_version) == str(held.version)


def test_server_refuses_requests_without_credentials(on_server: Server) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{on_server.uri}/api/2.0/mlflow/experiments/search?max_results=1")
    assert err.value.code == 401


RACER = """
import pathlib, sys, time
from credit_scoring.config import compose_config
from credit_scoring.stages.register import run
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cfg = compose_config(sys.argv[3:])
ready.touch()  # imported and configured: wait for the other racer, then go at the same moment
while not go.exists():
    time.sleep(0.01)
run(cfg)
"""
RACE_MODEL = "team_race_model"  # a model of its own: no champion before the race


def _race_overrides(root: Path, train: str, register: str) -> list[str]:
    return [
        *_overrides(root),
        f"paths.train={root}/artifacts/{train}",
        f"paths.register={root}/artifacts/{register}",
        f"registry.model_name={RACE_MODEL}",
        "registry.auto_promote=true",
        "registry.cost_tolerance=1.0",  # wide margin: both pass; the race is about the registry, not the gate
        "registry.bootstrap_resamples=200",
    ]


def _race(root: Path, overrides: list[list[str]]) -> list[str]:
    """Start one register process per override list, release them at the same moment; their output."""
    go, racers, logs = root / "race.go", [], []
    for i, argv in enumerate(overrides):
        log = (root / f"racer_{i}.log").open("w")
        logs.append(log)
        ready = root / f"racer_{i}.ready"
        racers.append(
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(ready), str(go), *argv],
                env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    for i, p in enumerate(racers):
        while not (root / f"racer_{i}.ready").exists():
            assert p.poll() is None and time.monotonic() < deadline, _tail(root / f"racer_{i}.log")
            time.sleep(0.05)
    go.touch()
    codes = [p.wait(timeout=900) for p in racers]
    for log in logs:
        log.close()
    out = [(root / f"racer_{i}.log").read_text() for i in range(len(racers))]
    assert codes == [0] * len(racers), "\n---\n".join(o[-3000:] for o in out)
    return out


def test_two_register_stages_racing_leave_one_consistent_champion(trained: dict, on_server: Server) -> None:
    """Two DIFFERENT train runs (the fixture's and a second training of the same data with another model seed,
    an about equally good model: both pass the gate under the wide cost tolerance) registered by two register processes released at the
    same moment against the server, into a model with no champion yet.

    The register stage decides and moves under the registry lock of the model's aliases
    (tracking.registry_lock), so the racers run one after the other, in the order of their version numbers:
    the first is decided with no champion and takes both aliases; the second is compared with the first (the
    champion it replaces) and takes both from it. With registry.auto_promote each passing register writes one
    history line per alias it moves (@challenger, then @champion): four lines, two per alias, each line's
    from_version the version its gate compared with. The issue's "two history lines" are the two moves of
    @champion. Without the lock both would be decided against no champion, and the second's line would
    replace a version its gate never saw (from_version != champion_before): that is what this test catches.
    """
    from credit_scoring.tracking.history import read_history
    from credit_scoring.tracking.registry_lock import lock_name

    root = trained["root"]
    # another model seed: a different model (equal outputs would give the same run key, hence one run)
    second = compose_config([*_race_overrides(root, "train_race", "register_race_1"), "model.seed=7"])
    train_stage(second, **QUIET)
    outputs = _race(
        root,
        [
            _race_overrides(root, "train", "register_race_0"),
            _race_overrides(root, "train_race", "register_race_1"),
        ],
    )
    client = MlflowClient(on_server.uri, registry_uri=on_server.uri)
    outcomes = [json.loads((root / f"artifacts/register_race_{i}/outcome.json").read_text()) for i in (0, 1)]
    lives = [json.loads((root / f"artifacts/register_race_{i}/champion.json").read_text()) for i in (0, 1)]
    assert all(o["promoted"] for o in outcomes), [o["reason"] for o in outcomes]
    versions = sorted(client.search_model_versions(f"name = '{RACE_MODEL}'"), key=lambda v: int(v.version))
    assert sorted(str(o["version"]) for o in outcomes) == [str(v.version) for v in versions]
    assert len(versions) == 2 and versions[0].run_id != versions[1].run_id
    for o in outcomes:  # each outcome.json is the decision recorded in the registry
        mv = client.get_model_version(RACE_MODEL, o["version"])
        assert json.loads(mv.tags["gate_outcome"]) == o and mv.tags["gate_decision"] == "promoted"
    first, last = sorted(outcomes, key=lambda o: int(o["version"]))
    assert first["champion_before"] is None  # decided before the other racer registered anything
    assert last["champion_before"]["version"] == first["version"]  # compared with the champion it replaced
    for alias in ("champion", "challenger"):
        held = client.get_model_version_by_alias(RACE_MODEL, alias)
        assert str(held.version) == last["version"] and held.tags["gate_decision"] == "promoted"
        rows = on_server.pg(
            "SELECT version FROM registered_model_aliases WHERE name = %s AND alias = %s", RACE_MODEL, alias
        )
        assert [str(r[0]) for r in rows] == [last["version"]]  # one alias row, the same the API answers
    # champion.json: the last racer's is the registry's final state; the first's, the state it left
    by_version = {o["version"]: live for o, live in zip(outcomes, lives, strict=True)}
    key_of = {str(v.version): v.tags["run_key"] for v in versions}
    for version in (first["version"], last["version"]):
        held = {"version": version, "run_key": key_of[version]}
        assert by_version[version] == {"model_name": RACE_MODEL, "champion": held, "challenger": held}
    lines = [(h["alias"], h["from_version"], h["to_version"]) for h in read_history(client, RACE_MODEL)]
    a, b = first["version"], last["version"]
    assert lines == [
        ("challenger", None, a), ("champion", None, a), ("challenger", a, b), ("champion", a, b)
    ], outputs  # fmt: skip
    assert [h["gate"]["champion_before"] for h in read_history(client, RACE_MODEL)] == [None, None, a, a]
    assert lock_name(RACE_MODEL) not in {m.name for m in client.search_registered_models()}  # released


def _overrides(root: Path) -> list[str]:
    r = root
    return [
        f"paths.raw={r}/raw",
        f"paths.ingest={r}/artifacts/ingest",
        f"paths.merge={r}/artifacts/merge",
        f"paths.split={r}/artifacts/split",
        f"paths.features={r}/artifacts/features",
        f"paths.resample={r}/artifacts/resample",
        f"paths.train={r}/artifacts/train",
        f"paths.oracle={r}/oracle/oracle.csv",
        f"paths.data_dvc={r}/data.dvc",
        "registry.experiment=team_server_test",
        "runtime.threads=1",
        "model=lightgbm",
        "resampling=none",
        "tuning=quick",
    ]


def test_migrate_copies_a_local_store_to_the_server(on_server: Server, tmp_path: Path) -> None:
    local = f"sqlite:///{tmp_path}/mlflow.db"
    src = MlflowClient(local, registry_uri=local)
    experiment = src.create_experiment("solo_history", artifact_location=(tmp_path / "art").as_uri())
    parent = src.create_run(experiment, run_name="parent")
    pid = parent.info.run_id
    src.log_param(pid, "model", "lightgbm")
    for step, value in enumerate((0.70, 0.72, 0.75)):
        src.log_metric(pid, "valid_roc_auc", value, step=step)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("w=1\n")
    src.log_artifacts(pid, str(tmp_path / "model"), "model")
    src.set_terminated(pid)
    child = src.create_run(experiment, run_name="trial-000", tags={"mlflow.parentRunId": pid})
    src.log_metric(child.info.run_id, "loss", 0.3)
    src.set_terminated(child.info.run_id)
    src.create_registered_model("solo_model")
    for _ in range(2):
        src.create_model_version("solo_model", f"{parent.info.artifact_uri}/model", run_id=pid)
    src.set_registered_model_alias("solo_model", "champion", "1")

    report = migrate(local, on_server.uri, log=lambda _m: None)
    assert (report.runs, report.versions) == (2, 2) and report.aliases == {"solo_model": {"champion": "1"}}
    dest = MlflowClient(on_server.uri, registry_uri=on_server.uri)
    target = dest.get_experiment_by_name("solo_history")
    copied = {r.data.tags[MIGRATED_FROM]: r for r in dest.search_runs([target.experiment_id])}
    assert set(copied) == {pid, child.info.run_id}
    new_parent = copied[pid]
    assert copied[child.info.run_id].data.tags["mlflow.parentRunId"] == new_parent.info.run_id
    history = [m.value for m in dest.get_metric_history(new_parent.info.run_id, "valid_roc_auc")]
    assert history == [0.70, 0.72, 0.75] and new_parent.data.params == {"model": "lightgbm"}
    held = dest.get_model_version_by_alias("solo_model", "champion")
    files = mlflow.artifacts.download_artifacts(
        dest.get_model_version_download_uri("solo_model", held.version),
        dst_path=str(tmp_path / "back"),
        tracking_uri=on_server.uri,
    )
    assert (Path(files) / "weights.txt").read_text() == "w=1\n" and held.run_id == new_parent.info.run_id
    again = migrate(local, on_server.uri, log=lambda _m: None)
    assert (again.runs, again.versions, again.skipped_runs) == (0, 0, 2)
