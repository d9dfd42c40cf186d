"""The registry-side lock of a model's aliases: one holder at a time, released on an error, a stale lock taken,
a lock held too long named in one line, and a lock taken from its holder never deleted by it."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST

from credit_scoring.errors import BusyError
from credit_scoring.tracking.registry_lock import (
    HOLDER_TAG,
    SINCE_TAG,
    TOKEN_TAG,
    is_lock,
    lock_name,
    registry_lock,
)


class FakeRegistry:
    """Registered models by name, created atomically (the unique key of the server's database)."""

    def __init__(self) -> None:
        self.models: dict[str, dict[str, str]] = {}
        self.guard = threading.Lock()

    def create_registered_model(self, name: str, tags: dict[str, str], description: str) -> None:
        with self.guard:
            if name in self.models:
                raise MlflowException(f"{name} exists", error_code=RESOURCE_ALREADY_EXISTS)
            self.models[name] = dict(tags)

    def get_registered_model(self, name: str) -> SimpleNamespace:
        with self.guard:
            if name not in self.models:
                raise MlflowException(f"no {name}", error_code=RESOURCE_DOES_NOT_EXIST)
            return SimpleNamespace(tags=dict(self.models[name]))

    def delete_registered_model(self, name: str) -> None:
        with self.guard:
            if name not in self.models:
                raise MlflowException(f"no {name}", error_code=RESOURCE_DOES_NOT_EXIST)
            del self.models[name]


def _reg(**kw: float) -> SimpleNamespace:
    settings = {"lock_poll_seconds": 0.01, "lock_stale_seconds": 60.0, "lock_wait_seconds": 120.0, **kw}
    return SimpleNamespace(model_name="m", **settings)


def test_two_holders_never_overlap_and_the_lock_is_gone_after() -> None:
    client, reg = FakeRegistry(), _reg()
    inside, overlaps, order = [0], [], []

    def mover(i: int) -> None:
        for _ in range(5):
            with registry_lock(client, reg):
                inside[0] += 1
                overlaps.append(inside[0])
                time.sleep(0.002)
                order.append(i)
                inside[0] -= 1

    threads = [threading.Thread(target=mover, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(overlaps) == 1 and sorted(order) == [0] * 5 + [1] * 5 + [2] * 5
    assert client.models == {}


def test_released_on_an_error() -> None:
    client, reg = FakeRegistry(), _reg()
    with pytest.raises(RuntimeError), registry_lock(client, reg):
        assert is_lock(client.get_registered_model(lock_name("m")))
        raise RuntimeError("boom")
    assert client.models == {}


def test_a_stale_lock_is_taken_and_a_live_one_named_when_held_too_long() -> None:
    client, reg = FakeRegistry(), _reg(lock_stale_seconds=0.5, lock_wait_seconds=0.5)
    old = int(time.time() * 1000) - 10_000
    client.models[lock_name("m")] = {TOKEN_TAG: "old", HOLDER_TAG: "ann@box pid 1", SINCE_TAG: str(old)}
    lines: list[str] = []
    with registry_lock(client, reg, lines.append):
        assert client.models[lock_name("m")][TOKEN_TAG] != "old"
    assert "ann@box pid 1" in lines[0] and "abandoned" in lines[0]

    fresh = {TOKEN_TAG: "live", HOLDER_TAG: "bob@box pid 2", SINCE_TAG: str(int(time.time() * 1000) + 60_000)}
    client.models[lock_name("m")] = fresh
    with pytest.raises(BusyError, match="bob@box pid 2"), registry_lock(client, reg):
        pass
    assert client.models[lock_name("m")] == fresh  # someone else's lock is left alone


def test_a_lock_taken_from_its_holder_is_not_deleted_by_it() -> None:
    client, reg = FakeRegistry(), _reg()
    with registry_lock(client, reg):
        client.models[lock_name("m")] = {TOKEN_TAG: "theirs", SINCE_TAG: "0"}  # taken as stale by another
    assert client.models[lock_name("m")][TOKEN_TAG] == "theirs"
