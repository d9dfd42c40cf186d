"""Ingestion of the raw tables: the order they are read in (parents first), typing and validation of one
table, its report. The stage itself (reading every file, writing the catalog) is `credit_scoring.stages.ingest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from credit_scoring.config import DatasetConfig
from credit_scoring.data.plausibility import range_problems
from credit_scoring.data.tables import validate_arrow
from credit_scoring.errors import ConfigError, InputDataError


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


def parent_keys_needed(ds: DatasetConfig) -> dict[str, set[str]]:
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
    if problems := range_problems(typed, ds.plausibility, file=file, examples=examples):
        raise InputDataError("\n".join(problems))
    if ds.id in typed.column_names and name in (ds.train_table, ds.production_table):
        ids = typed.column(ds.id).to_numpy()
        if len(ids) > 1 and not bool(np.all(ids[1:] >= ids[:-1])):
            typed = typed.sort_by([(ds.id, "ascending")])
    return typed


def undeclared_model_columns(ds: DatasetConfig, headers: dict[str, list[str]]) -> str | None:
    """The problem when the training table has undeclared columns the production table lacks: the features
    stage would fit on columns it then cannot find to score (None when there is none)."""
    train, prod = ds.train_table, ds.production_table
    if not prod or train not in headers or prod not in headers:
        return None
    declared = ds.tables[train].types
    lacking = [c for c in headers[train] if c not in declared and c not in headers[prod]]
    if not lacking:
        return None
    return (
        f"{ds.tables[train].file}: undeclared column(s) {', '.join(lacking)} not in "
        f"{ds.tables[prod].file}: a model fitted on them could not score the production rows "
        "(remove them, or add them to both files and declare them in dataset.tables)"
    )


def report_json(r: TableReport) -> dict[str, Any]:
    """The report of one table as written to report.json: the same inputs give the same bytes, so the
    run's time is left out (it is logged)."""
    return {k: v for k, v in r.__dict__.items() if k != "seconds"}


def describe(name: str, r: TableReport) -> str:
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
