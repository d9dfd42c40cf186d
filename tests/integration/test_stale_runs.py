"""kill -9 of a process holding an MLflow run: the next train start ends it (and its trials) as KILLED."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from credit_scoring.tracking.stale import OWNER_TAG, end_dead_runs, owner_tags

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOLDER = """
import os, sys, time, mlflow
from credit_scoring.tracking.stale import owner_tags
mlflow.set_tracking_uri(sys.argv[1])
exp = mlflow.set_experiment("stale")
with mlflow.start_run(tags=owner_tags()) as run:
    with mlflow.start_run(nested=True, tags=owner_tags()) as trial:
        print(run.info.run_id, trial.info.run_id, flush=True)
        time.sleep(600)
"""


def test_runs_of_a_killed_process_are_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # restored after the test (set_tracking_uri exports it)
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, uri],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline().split()
    assert len(line) == 2, proc.stderr.read()
    parent, trial = line
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("stale").experiment_id
    with mlflow.start_run(experiment_id=experiment, tags=owner_tags()) as mine:  # a live run: kept
        assert end_dead_runs(experiment) == []  # the holder is alive
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert client.get_run(parent).info.status == "RUNNING"  # what kill -9 leaves
        assert end_dead_runs(experiment) == sorted([parent, trial])
        assert client.get_run(mine.info.run_id).info.status == "RUNNING"
    assert client.get_run(parent).info.status == "KILLED"
    assert client.get_run(trial).info.status == "KILLED"
    assert client.get_run(parent).data.tags[OWNER_TAG].endswith(f":{proc.pid}")
    assert end_dead_runs(experiment) == []
