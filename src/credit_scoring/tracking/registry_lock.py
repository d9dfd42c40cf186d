"""A mutex kept in the registry itself, held by whoever moves the aliases of one model (register, promote).

MLflow has no compare-and-set on an alias. Two `register` stages racing on one server would each compare
their version with the champion they saw and then both move `@champion`: the second would replace a version
its gate never compared it with, and its history line would name a `from_version` its decision never saw.
The registry's one atomic create-if-absent is the name of a registered model (a unique key in PostgreSQL and
SQLite alike): the mover that creates `<model>.lock` holds the lock; the others wait (`registry.lock_poll_seconds`
between tries, at most `registry.lock_wait_seconds`, then one line saying who holds it); the holder deletes it
at the end, on an error too, and only while the lock is still its own (its token tag). A lock older than
`registry.lock_stale_seconds` was left by a killed mover: it is removed and taken. No server of our own, and
nothing for a client to configure: whoever can register a model can take the lock.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from credit_scoring.config.modelling import RegistryConfig
from credit_scoring.errors import BusyError

LOCK_SUFFIX = ".lock"
LOCK_TAG = "credit_scoring.lock"  # marks a lock model (the migration skips it)
TOKEN_TAG, HOLDER_TAG, SINCE_TAG = "token", "holder", "since_ms"
EXISTS = "RESOURCE_ALREADY_EXISTS"


def lock_name(model_name: str) -> str:
    """The registered model that is the lock of `model_name`'s aliases."""
    return f"{model_name}{LOCK_SUFFIX}"


def is_lock(model: Any) -> bool:
    """Whether a registered model is a lock (not a model)."""
    return LOCK_TAG in (getattr(model, "tags", None) or {})


def _holder() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _held(client: Any, name: str) -> dict[str, str] | None:
    """The tags of the lock model, None when nobody holds it."""
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_registered_model(name).tags or {})
    except MlflowException:
        return None


def _try_take(client: Any, name: str, token: str) -> bool:
    from mlflow.exceptions import MlflowException

    tags = {LOCK_TAG: "true", TOKEN_TAG: token, HOLDER_TAG: _holder(), SINCE_TAG: str(_now_ms())}
    try:
        client.create_registered_model(name, tags=tags, description="held while an alias moves")
    except MlflowException as err:
        if err.error_code == EXISTS:
            return False
        raise
    return True


def _release(client: Any, name: str, token: str) -> None:
    from mlflow.exceptions import MlflowException

    tags = _held(client, name)
    if tags is None or tags.get(TOKEN_TAG) != token:
        return  # taken from us as stale: the lock is another mover's now
    with suppress(MlflowException):  # already gone
        client.delete_registered_model(name)


def _since(tags: dict[str, str]) -> int | None:
    try:
        return int(tags[SINCE_TAG])
    except (KeyError, ValueError):
        return None  # being created right now (the tags come with the model)


@contextmanager
def registry_lock(
    client: Any, reg: RegistryConfig, log: Callable[[str], None] = lambda _m: None
) -> Iterator[None]:
    """Hold the lock of `reg.model_name`'s aliases for the body; BusyError when it stays held too long."""
    name, token = lock_name(reg.model_name), uuid.uuid4().hex
    start, told = time.monotonic(), False
    while not _try_take(client, name, token):
        tags = _held(client, name)
        if tags is None:
            continue  # released between our try and our look: try again at once
        since = _since(tags)
        if since is not None and _now_ms() - since > reg.lock_stale_seconds * 1000:
            log(f"registry lock {name!r} held by {tags.get(HOLDER_TAG)} for over {reg.lock_stale_seconds} s: "
                "taken as abandoned")  # fmt: skip
            _release(client, name, tags.get(TOKEN_TAG, ""))
            continue
        if time.monotonic() - start > reg.lock_wait_seconds:
            raise BusyError(
                f"registry lock {name!r} is held by {tags.get(HOLDER_TAG)} (another register or promote moving "
                f"the aliases of {reg.model_name!r}) for over {reg.lock_wait_seconds} s; if none is running, "
                f"delete the registered model {name!r}"
            )
        if not told:
            log(f"waiting for the registry lock {name!r} (held by {tags.get(HOLDER_TAG)})")
            told = True
        time.sleep(reg.lock_poll_seconds)
    try:
        yield
    finally:
        _release(client, name, token)
