"""Atomic outputs: a file or a whole folder appears complete under its final name, or not at all.

A folder is written by one process at a time: `atomic_dir` holds an exclusive lock (`.<name>.lock` beside
it, released by the kernel even when the process is killed) while it writes, so a second run at once fails
at once with `BusyError`, and the staging leftovers of a killed run are removed by the next one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.errors import BusyError


def _temp_sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{uuid.uuid4().hex[:8]}"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary name beside `path`; on success it is renamed to `path`, on failure deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path, "tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of folder `path` (`.<name>.lock` beside it), or raise `BusyError` naming the
    process holding it."""
    lock = path.parent / f".{path.name}.lock"
    with lock.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise BusyError(
                f"{path}: being written by another run right now ({holder}); wait for it to end"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)
            fcntl.flock(fh, fcntl.LOCK_UN)


def leftovers(path: Path) -> list[Path]:
    """Staging and old copies of folder `path` left beside it by a run that was killed."""
    return sorted(p for tag in ("staging", "old") for p in path.parent.glob(f".{path.name}.{tag}-*"))


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside `path`; on success it replaces `path` whole, on failure it is deleted.

    A previous `path` is kept until the new one is complete, then removed. Under the folder's lock: the
    leftovers of a killed run are removed first.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(path):
        for stale in leftovers(path):
            shutil.rmtree(stale, ignore_errors=True)
        staging = _temp_sibling(path, "staging")
        staging.mkdir()
        old = _temp_sibling(path, "old")
        try:
            yield staging
            if path.exists():
                os.replace(path, old)
            os.replace(staging, path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def write_behind() -> Iterator[Callable[..., None]]:
    """Yield `submit(write, *args)`: the call runs on one background thread while the caller computes the
    next output (Arrow and Parquet release the GIL). Writes run one at a time, in order; `submit` first waits
    for the previous write, so at most one output waits in memory, and a write's error is raised in the
    caller (at the next `submit` or on leaving the block, which waits for the last write)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write-behind") as pool:
        pending: list[Future] = []

        def submit(write: Callable[..., Any], *args: Any) -> None:
            if pending:
                pending.pop().result()
            pending.append(pool.submit(write, *args))

        yield submit
        if pending:
            pending.pop().result()


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write `df` (index dropped) as Parquet at `path`, atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, engine="pyarrow")


def write_table(table: pa.Table | pa.RecordBatchReader, path: Path) -> None:
    """Write an Arrow table, or a stream of record batches (one row group each, never held whole), as
    Parquet at `path`, atomically. Dictionary encoding only for dictionary (category) columns: trying it on
    float columns costs a third of the write time for nothing."""
    dictionary = [f.name for f in table.schema if pa.types.is_dictionary(f.type)] or False
    with atomic_path(path) as tmp:
        if isinstance(table, pa.Table):
            pq.write_table(table, tmp, use_dictionary=dictionary)
            return
        with pq.ParquetWriter(tmp, table.schema, use_dictionary=dictionary) as writer:
            for batch in table:
                writer.write_batch(batch)


def write_json(obj: Any, path: Path) -> None:
    """Write `obj` as indented JSON at `path`, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def write_text(text: str, path: Path) -> None:
    """Write `text` at `path`, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
