"""Fixtures of the app tests: a real champion on a tiny generated dataset, and the app running on it.

`params_file` is conf/ composed as params.yaml is (so the tests follow conf/, not a stale params.yaml).
`champion` runs the real stages (generate -> ingest -> merge -> split -> features -> resample -> train ->
register, LightGBM, no tuning) in a subprocess into a temporary folder with its own MLflow store, once per
session. `app_server` starts `python app/main.py --params <params_file> paths.ingest=... paths.merge=...` on
a free loopback port with authentication and the store (MLFLOW_TRACKING_URI) from the environment, and stops
it at the end.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `import app` (the app package at the project root)
    sys.path.insert(0, str(REPO_ROOT))

APPLICANTS = 1200
STARTUP_TIMEOUT = 300.0  # s: imports, champion load, every client's features

BUILD = r"""
import sys, warnings
from pathlib import Path
warnings.filterwarnings("ignore")
from credit_scoring.config import compose_config
from credit_scoring.stages.features import run as features_stage
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.config import compose_config
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage

root, applicants = Path(sys.argv[1]), int(sys.argv[2])
generate(GeneratorConfig(applicants=applicants, seed=7), root / "raw", root / "oracle")
a = root / "artifacts"
data_paths = {"raw": root / "raw", "ingest": a / "ingest", "merge": a / "merge", "split": a / "split",
              "features": a / "features", "eda_report": root / "eda.html"}
quiet = {"log": lambda _m: None}
cfg = compose_config([f"paths.{k}={v}" for k, v in data_paths.items()])
for stage in (ingest, merge, split_stage, features_stage):
    stage(cfg, **quiet)
paths = {**data_paths, "resample": a / "resample", "train": a / "train", "register": a / "register",
         "oracle": root / "oracle" / "oracle.csv", "data_dvc": root / "data.dvc"}
paths.pop("raw"); paths.pop("eda_report")
overrides = [f"paths.{k}={v}" for k, v in paths.items()] + [
    "model=lightgbm", "tuning=none", "resampling=none", "registry.min_test_roc_auc=0.0",
    "registry.log_datasets=false", f"registry.tracking_uri=sqlite:///{root}/mlruns/mlflow.db",
    f"registry.artifact_location={root}/mlruns/artifacts",
]
mcfg = compose_config(overrides)
for stage in (resample_stage, train_stage, register_stage):
    stage(mcfg, **quiet)
"""


@pytest.fixture(scope="session")
def params_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conf/ composed and written like params.yaml (what `python pipelines/params.py` writes)."""
    from omegaconf import OmegaConf

    from credit_scoring.config import compose

    path = tmp_path_factory.mktemp("params") / "params.yaml"
    OmegaConf.save(compose(), path)
    return path


@dataclass(frozen=True)
class ChampionData:
    """A tiny dataset's stage outputs and the MLflow store holding its champion."""

    root: Path
    raw: Path
    ingest: Path
    merge: Path
    tracking_uri: str


@pytest.fixture(scope="session")
def champion(tmp_path_factory: pytest.TempPathFactory) -> ChampionData:
    root = tmp_path_factory.mktemp("app_champion")
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    proc = subprocess.run(
        [sys.executable, "-c", BUILD, str(root), str(APPLICANTS)],
        cwd=REPO_ROOT,
        env=env,  # the store named in the overrides, whatever an earlier test left in the environment
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the champion failed:\n{proc.stderr[-4000:]}")
    a = root / "artifacts"
    return ChampionData(root, root / "raw", a / "ingest", a / "merge", f"sqlite:///{root}/mlruns/mlflow.db")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunningApp:
    url: str
    auth: tuple[str, str]
    log: Path
    champion: ChampionData


def start_app(
    champion: ChampionData, params: Path, log: Path, env_extra: dict[str, str], *overrides: str
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": champion.tracking_uri, **env_extra}
    args = [
        sys.executable,
        "app/main.py",
        "--params",
        str(params),
        f"serving.port={port}",
        f"paths.ingest={champion.ingest}",
        f"paths.merge={champion.merge}",
        "serving.context_rows=500",
        "serving.importance_rows=200",
        "serving.neighbours=50",
        *overrides,
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    return proc, port


def wait_until_up(proc: subprocess.Popen, port: int, log: Path, timeout: float = STARTUP_TIMEOUT) -> str:
    import httpx

    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            httpx.get(f"{url}/", timeout=2.0)
            return url
        except httpx.HTTPError:
            time.sleep(1.0)
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def app_server(
    champion: ChampionData, params_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """The app on a free loopback port, user and password from the environment (random per session)."""
    auth = ("manager", secrets.token_urlsafe(12))
    log = tmp_path_factory.mktemp("app_server") / "app.log"
    env = {"CREDIT_APP_USER": auth[0], "CREDIT_APP_PASSWORD": auth[1]}
    proc, port = start_app(champion, params_file, log, env, "serving.reload_seconds=2")
    try:
        url = wait_until_up(proc, port, log)
        yield RunningApp(url, auth, log, champion)
    finally:
        stop(proc)
