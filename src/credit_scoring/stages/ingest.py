"""Stage `ingest`: the raw CSVs of `paths.raw` -> one validated, typed Parquet per table + report.json.

Every file's presence and header are checked first (cheap), then the tables are parsed and validated one at
a time, parents before children so that orphan foreign keys can be counted (reported, never dropped).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config import Config, DatasetConfig
from credit_scoring.data.ingest import (
    TableReport,
    describe,
    parent_keys_needed,
    prepare_table,
    report_json,
    table_order,
    undeclared_model_columns,
)
from credit_scoring.data.tables import check_header, count_orphans, read_header, read_raw_csv
from credit_scoring.errors import InputDataError
from credit_scoring.io.atomic import write_behind
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.runner import Log, run_main

NAME = "ingest"


def check_headers(cfg: Config) -> None:
    """Every file's presence and header (cheap), before the long parsing; all problems at once."""
    ds, raw_dir = cfg.dataset, Path(cfg.paths.raw)
    problems = []
    headers: dict[str, list[str]] = {}
    for name in table_order(ds):
        path = raw_dir / ds.tables[name].file
        try:
            headers[name] = read_header(path)
            check_header(headers[name], ds.tables[name], path.name)
        except InputDataError as exc:
            problems.append(str(exc))
    if problem := undeclared_model_columns(ds, headers):
        problems.append(problem)
    if problems:
        raise InputDataError("\n".join(problems))


def ingest_tables(cfg: Config, log: Log, write: Callable[[str, pa.Table], None] | None) -> dict[str, Any]:
    """Parse and validate every table, parents first, handing each typed table to `write` (None: only
    validate); the report.

    A table is written in the background while the next one is parsed (`write_behind`)."""
    ds = cfg.dataset
    raw_dir = Path(cfg.paths.raw)
    needed = parent_keys_needed(ds)
    keys: dict[tuple[str, str], pa.Array] = {}
    reports: dict[str, TableReport] = {}
    with write_behind() as submit:
        for name in table_order(ds):
            typed, reports[name] = read_table(name, ds, raw_dir, keys)
            log(describe(name, reports[name]))
            for col in needed.get(name, ()):
                keys[(name, col)] = pc.drop_null(typed.column(col)).combine_chunks()
            if write is not None:
                submit(write, name, typed)
            del typed
    return {
        "dataset": ds.name,
        "raw_dir": str(raw_dir),
        "tables": {n: report_json(r) for n, r in reports.items()},
    }


def read_table(
    name: str, ds: DatasetConfig, raw_dir: Path, keys: dict[tuple[str, str], pa.Array]
) -> tuple[pa.Table, TableReport]:
    """One table parsed, validated and typed, its report (orphans counted against the parents' `keys`)."""
    start = time.perf_counter()
    table = ds.tables[name]
    path = raw_dir / table.file
    raw = read_raw_csv(path, table, ds.error_examples)
    typed = prepare_table(name, raw.frame, ds, path.name, ds.error_examples)
    del raw
    report = TableReport(
        file=table.file,
        rows=typed.num_rows,
        columns=typed.num_columns,
        extra_columns=[c for c in typed.column_names if c not in table.types],
        missing_cells=sum(c.null_count for c in typed.columns),
    )
    for fk in table.references:
        ref = fk.ref_column or fk.column
        parent = pa.concat_arrays([keys[(p, ref)] for p in fk.tables])
        rows, distinct = count_orphans(typed.column(fk.column), parent)
        report.orphans[fk.column] = {"parents": list(fk.tables), "rows": rows, "distinct": distinct}
    report.seconds = round(time.perf_counter() - start, 3)
    return typed, report


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Read cfg.paths.raw, write the catalog's ingested tables and report."""
    catalog = Catalog(cfg.paths)
    check_headers(cfg)
    with catalog.staging(NAME) as staging:
        summary = ingest_tables(cfg, log, lambda name, typed: catalog.ingested(name).write(typed, staging))
        catalog.ingest_report.write(summary, staging)
    return summary


def check(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Validate cfg.paths.raw as `run` does, writing nothing: a new data drop is refused before DVC records
    it (data.dvc) or anything is replaced (`make run` calls it when data.dvc is out of date)."""
    check_headers(cfg)
    summary = ingest_tables(cfg, log, None)
    log(f"{cfg.paths.raw}: every table passes (nothing written)")
    return summary


CHECK_FLAG = "--check"


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/ingest.py [--check] [--params FILE] [KEY=VALUE ...]`` (--check: validate only)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if CHECK_FLAG in args:
        args.remove(CHECK_FLAG)
        note = "the raw files are refused: nothing was recorded or replaced."
        return run_main(NAME, check, args, failure_note=note)
    return run_main(NAME, run, args)
