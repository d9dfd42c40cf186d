"""Stage `ingest`: the raw CSVs of `paths.raw` -> one validated, typed Parquet per table + report.json.

Every file's presence and header are checked first (cheap), then the tables are parsed and validated one at
a time, parents before children so that orphan foreign keys can be counted (reported, never dropped).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config import Config
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
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.runner import Log, run_main

NAME = "ingest"


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Read cfg.paths.raw, write the catalog's ingested tables and report."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    raw_dir = Path(cfg.paths.raw)
    examples = ds.error_examples
    order = table_order(ds)

    problems = []
    headers: dict[str, list[str]] = {}
    for name in order:  # cheap checks of every file before the long parsing
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

    needed = parent_keys_needed(ds)
    keys: dict[tuple[str, str], pa.Array] = {}
    reports: dict[str, TableReport] = {}
    with catalog.staging(NAME) as staging:
        for name in order:
            start = time.perf_counter()
            table = ds.tables[name]
            path = raw_dir / table.file
            raw = read_raw_csv(path, table, examples)
            typed = prepare_table(name, raw.frame, ds, path.name, examples)
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
            for col in needed.get(name, ()):
                keys[(name, col)] = pc.drop_null(typed.column(col)).combine_chunks()
            catalog.ingested(name).write(typed, staging)
            del typed
            report.seconds = round(time.perf_counter() - start, 3)
            reports[name] = report
            log(describe(name, report))
        summary = {
            "dataset": ds.name,
            "raw_dir": str(raw_dir),
            "tables": {n: report_json(r) for n, r in reports.items()},
        }
        catalog.ingest_report.write(summary, staging)
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/ingest.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
