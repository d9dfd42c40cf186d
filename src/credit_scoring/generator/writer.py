"""Writing generated tables as CSV like the original files, atomically."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from credit_scoring.generator.spec import TableSpec


def format_table(df: pd.DataFrame, table: TableSpec, decimals: dict[str, int]) -> pd.DataFrame:
    """Columns in the real file order, with the dtypes pandas reads from the real CSV and rounded floats."""
    missing = [c for c in table.column_names if c not in df.columns]
    if missing:
        raise ValueError(f"{table.file}: generated frame lacks columns {missing}")
    rules = [(re.compile(p), d) for p, d in decimals.items()]
    out: dict[str, pd.Series | np.ndarray] = {}
    for col in table.columns:
        s = df[col.name]
        if col.is_categorical:
            out[col.name] = s.astype(object).where(s.notna(), None)
            continue
        v = s.to_numpy(dtype=float)
        if col.pandas_dtype == "int64":
            if np.isnan(v).any():
                raise ValueError(f"{table.file}: column {col.name} must not have missing values")
            out[col.name] = np.round(v).astype(np.int64)
            continue
        if col.integer_valued:
            v = np.round(v)
        else:
            d = next((d for p, d in rules if p.search(col.name)), None)
            if d is not None:
                v = np.round(v, d)
        out[col.name] = v
    return pd.DataFrame(out)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """CSV with a header, empty fields for missing values, floats as Python prints them (e.g. 202500.0)."""
    con = duckdb.connect()
    try:
        con.register("frame", df)
        con.execute(f"COPY (SELECT * FROM frame) TO '{path.as_posix()}' (HEADER, DELIMITER ',')")
    finally:
        con.close()


def ensure_writable_dir(path: Path, what: str) -> None:
    """Create `path` if needed and check that files can be written in it, with a message naming it."""
    try:
        if path.exists() and not path.is_dir():
            raise OSError(f"{path} exists and is not a folder")
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        reason = e.strerror or str(e)
        raise PermissionError(f"{what} folder {path} is not writable: {reason}") from e


@contextmanager
def staged(final_dirs: list[Path]) -> Iterator[list[Path]]:
    """Yield staging folders beside each final folder; on success move their files in, on failure drop them.

    Files already in the final folders are replaced only once everything has been written.
    """
    stages = [d.parent / f".{d.name}.staging-{uuid.uuid4().hex[:8]}" for d in final_dirs]
    try:
        for s in stages:
            s.mkdir(parents=True)
        yield stages
        for s, d in zip(stages, final_dirs, strict=True):
            for f in sorted(s.iterdir()):
                os.replace(f, d / f.name)
    finally:
        for s in stages:
            shutil.rmtree(s, ignore_errors=True)
