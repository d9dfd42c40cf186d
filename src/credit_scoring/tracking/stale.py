"""Runs left RUNNING by a process that died (kill -9, out of memory, a lost machine session).

Every run the train stage starts carries the tag `credit_scoring.owner` = "host:pid" of its process. At the
next start, the RUNNING runs of this host whose process is gone are ended as KILLED (their nested trial runs
too), so the MLflow UI never shows a run running forever. Runs without the tag (other tools) are left alone.
"""

from __future__ import annotations

import os
import socket

import mlflow
from mlflow.entities import RunStatus

OWNER_TAG = "credit_scoring.owner"
PARENT_TAG = "mlflow.parentRunId"


def owner() -> str:
    """This process as the owner tag's value: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_tags() -> dict[str, str]:
    """The tags a run of this process starts with."""
    return {OWNER_TAG: owner()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _dead_owner(tag: str | None, host: str) -> bool:
    if not tag:
        return False
    name, _, pid = tag.rpartition(":")
    return name == host and pid.isdigit() and not _alive(int(pid))


def end_dead_runs(experiment_id: str) -> list[str]:
    """End as KILLED the RUNNING runs of `experiment_id` whose owning process on this host is gone, and their
    nested runs; the ids ended."""
    client = mlflow.MlflowClient()
    running = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")
    host = socket.gethostname()
    dead = {r.info.run_id for r in running if _dead_owner(r.data.tags.get(OWNER_TAG), host)}
    dead |= {r.info.run_id for r in running if r.data.tags.get(PARENT_TAG) in dead}
    for run_id in sorted(dead):
        client.set_terminated(run_id, status=RunStatus.to_string(RunStatus.KILLED))
    return sorted(dead)
