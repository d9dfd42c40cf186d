"""Stage `ingest`: raw CSVs -> validated, typed Parquet (one file per table) and a report.

All files are checked for presence and header first (cheap), then parsed and validated one at a time, parents
before children so that orphan foreign keys can be counted (and reported, never dropped). The output folder
appears complete or not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config.schema import Config, DatasetConfig
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.io.atomic import atomic_dir, write_json, write_table
from credit_scoring.data.tables import check_header, count_orphans, read_header, read_raw_csv, validate_arrow

REPORT_FILE = "report.json"


@dataclass
class TableReport:
    file: str
    rows: int
    columns: int
    extra_columns: list[str] = field(default_factory=list)
    missing_cells: int = 0
    orphans: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


def table_order(ds: DatasetConfig) -> list[str]:
    """Tables ordered parents first (a table after every table its references point to)."""
    order: list[str] = []
    pending = dict.fromkeys(ds.tables)
    while pending:
        ready = [
            t
            for t in pending
            if all(p in order or p == t for fk in ds.tables[t].references for p in fk.tables)
        ]
        if not ready:
            raise ConfigError(f"dataset.tables: circular references between {sorted(pending)}")
        for t in ready:
            order.append(t)
            del pending[t]
    return order


def _parent_keys_needed(ds: DatasetConfig) -> dict[str, set[str]]:
    needed: dict[str, set[str]] = {}
    for table in ds.tables.values():
        for fk in table.references:
            for parent in fk.tables:
                needed.setdefault(parent, set()).add(fk.ref_column or fk.column)
    return needed


def prepare_table(name: str, frame: pa.Table, ds: DatasetConfig, file: str, examples: int) -> pa.Table:
    """Validate and type one parsed table; application tables are sorted by the id."""
    target = ds.target if name == ds.train_table else None
    typed = validate_arrow(frame, ds.tables[name], file=file, examples=examples, target=target)
    if ds.id in typed.column_names and name in (ds.train_table, ds.production_table):
        ids = typed.column(ds.id).to_numpy()
        if len(ids) > 1 and not bool(np.all(ids[1:] >= ids[:-1])):
            typed = typed.sort_by([(ds.id, "ascending")])
    return typed


def ingest(cfg: Config, log=print) -> dict[str, Any]:
    """Run the stage: read cfg.paths.raw, write cfg.paths.ingest/<table>.parquet + report.json."""
    ds = cfg.dataset
    raw_dir, out_dir = Path(cfg.paths.raw), Path(cfg.paths.ingest)
    examples = ds.error_examples
    order = table_order(ds)

    problems = []
    for name in order:  # cheap checks of every file before the long parsing
        path = raw_dir / ds.tables[name].file
        try:
            check_header(read_header(path), ds.tables[name], path.name)
        except InputDataError as exc:
            problems.append(str(exc))
    if problems:
        raise InputDataError("\n".join(problems))

    needed = _parent_keys_needed(ds)
    keys: dict[tuple[str, str], pa.Array] = {}
    reports: dict[str, TableReport] = {}
    with atomic_dir(out_dir) as staging:
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
            write_table(typed, staging / f"{name}.parquet")
            del typed
            report.seconds = round(time.perf_counter() - start, 3)
            reports[name] = report
            log(_describe(name, report))
        summary = {
            "dataset": ds.name,
            "raw_dir": str(raw_dir),
            "tables": {n: r.__dict__ for n, r in reports.items()},
        }
        write_json(summary, staging / REPORT_FILE)
    return summary


def _describe(name: str, r: TableReport) -> str:
    parts = [f"{name}: {r.rows:,} rows x {r.columns} columns ({r.seconds:.1f} s)"]
    if r.extra_columns:
        parts.append(f"kept {len(r.extra_columns)} undeclared column(s): {', '.join(r.extra_columns)}")
    for col, o in r.orphans.items():
        if o["rows"]:
            parts.append(
                f"{o['rows']:,} rows ({o['distinct']:,} distinct {col}) have no parent in "
                f"{'/'.join(o['parents'])} (kept)"
            )
    return "; ".join(parts)
