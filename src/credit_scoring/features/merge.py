"""Stage `merge`: every side table aggregated to one row per id, joined into side_features.parquet.

Blocks run in the order of `dataset.aggregations`. A block with `attach_to` (e.g. bureau_balance per
SK_ID_BUREAU) is joined onto that table's rows (many_to_one, the rollup checked unique on its key) before
the table's own blocks read it. The other blocks give one row per id; they are joined on the union of their
ids (each one_to_one, checked) and written sorted by id.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from credit_scoring.features.aggregate import (
    Output,
    Vocabulary,
    aggregate_duckdb,
    assert_unique,
    describe,
    vocabulary_from_json,
    vocabulary_of,
    vocabulary_to_json,
)
from credit_scoring.config.schema import Config, DatasetConfig
from credit_scoring.features.derived import literal, quote
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.io.atomic import atomic_dir, write_json, write_table

SIDE_FEATURES_FILE = "side_features.parquet"
REPORT_FILE = "report.json"


def key_columns(ds: DatasetConfig, table: str) -> set[str]:
    """Columns of a table that are identifiers, never aggregated: its key, its references and the id."""
    t = ds.tables[table]
    return {ds.id, *t.key, *(fk.column for fk in t.references)}


def connect(cfg: Config) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {int(cfg.runtime.threads)}")
    con.execute(f"SET memory_limit = {literal(cfg.runtime.memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _table_relation(
    con: duckdb.DuckDBPyConnection, ingest_dir: Path, table: str, attached: list[tuple[str, str]]
) -> str:
    """The table as read from Parquet, with the rollups attached to it left-joined (many_to_one)."""
    path = ingest_dir / f"{table}.parquet"
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the ingest stage first)")
    base = f"read_parquet({literal(str(path))})"
    if not attached:
        return base
    view = f"{table}_attached"
    seen = {c for c, _ in describe(con, base)}
    select, joins = ["t.*"], []
    for i, (rollup, by) in enumerate(attached):
        assert_unique(con, quote(rollup), by, f"rollup {rollup} attached to {table}")
        cols = [c for c, _ in describe(con, quote(rollup)) if c != by]
        clash = seen.intersection(cols)
        if clash:
            raise ConfigError(f"rollup attached to {table} repeats column(s) {sorted(clash)}")
        seen.update(cols)
        select.append(f"r{i}.* EXCLUDE ({quote(by)})")
        joins.append(f"LEFT JOIN {quote(rollup)} r{i} ON t.{quote(by)} = r{i}.{quote(by)}")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS SELECT {', '.join(select)} FROM {base} t {' '.join(joins)}"
    )
    return quote(view)


def assemble(ds: DatasetConfig, blocks: list[pa.Table]) -> pa.Table:
    """The id-level blocks side by side on the sorted union of their ids (each one_to_one, checked)."""
    if not blocks:
        return pa.table({ds.id: pa.array([], pa.int64())})
    for b in blocks:
        if pc.count_distinct(b.column(ds.id)).as_py() != b.num_rows:
            raise ConfigError(f"a side-feature block is not unique on {ds.id}")
    ids = np.unique(np.concatenate([b.column(ds.id).to_numpy() for b in blocks]))
    columns: dict[str, np.ndarray] = {ds.id: ids}
    for b in blocks:
        pos = np.searchsorted(ids, b.column(ds.id).to_numpy())
        for name in b.column_names:
            if name != ds.id:
                arr = np.full(len(ids), np.nan)
                arr[pos] = b.column(name).to_numpy(zero_copy_only=False)
                columns[name] = arr
    return pa.table(columns)


def run_aggregations(
    con: duckdb.DuckDBPyConnection,
    ds: DatasetConfig,
    ingest_dir: Path,
    log=print,
    vocabulary: Vocabulary | None = None,
) -> tuple[list[pa.Table], dict[str, list[Output]]]:
    """Run every block; returns the id-level result tables (sorted by id) and each block's plan.

    vocabulary: the categorical levels to keep per block (a production batch reuses the training data's,
    recorded in the merge stage's report), default learnt from the data.
    """
    attached: dict[str, list[tuple[str, str]]] = {}
    finals: list[pa.Table] = []
    plans: dict[str, list[Output]] = {}
    names: dict[str, str] = {}
    for i, spec in enumerate(ds.aggregations):
        start = time.perf_counter()
        source = _table_relation(con, ingest_dir, spec.table, attached.get(spec.table, []))
        path = ingest_dir / f"{spec.table}.parquet"

        def read_columns(columns: list[str], path: Path = path) -> pa.Table:
            return pq.read_table(path, columns=columns)

        levels = (vocabulary or {}).get(spec.name)
        result, plan = aggregate_duckdb(con, source, spec, key_columns(ds, spec.table), read_columns, levels)
        plans[spec.name] = plan
        if spec.attach_to is not None:
            if spec.attach_to not in ds.tables:
                raise ConfigError(f"aggregation {spec.name}: attach_to {spec.attach_to!r} is not a table")
            name = f"rollup_{i}"
            con.register(name, result)
            attached.setdefault(spec.attach_to, []).append((name, spec.by))
        else:
            for o in plan:
                if o.name in names:
                    raise ConfigError(f"aggregations {names[o.name]} and {spec.name} both make {o.name}")
                names[o.name] = spec.name
            finals.append(result)
        log(f"{spec.name}: {len(plan)} columns by {spec.by} ({time.perf_counter() - start:.1f} s)")
    return finals, plans


def read_vocabulary(merge_dir: Path | str) -> Vocabulary:
    """The categorical levels a merge run kept (its report.json), to aggregate a production batch alike."""
    path = Path(merge_dir) / REPORT_FILE
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the merge stage first)")
    levels = json.loads(path.read_text(encoding="utf-8")).get("levels")
    if levels is None:
        raise InputDataError(f"{path}: records no levels (written by an older merge stage: rerun it)")
    return vocabulary_from_json(levels)


def merge(cfg: Config, log=print, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """Run the stage: cfg.paths.ingest -> cfg.paths.merge/side_features.parquet + report.json.

    vocabulary: keep these categorical levels (see `read_vocabulary`) instead of learning them from the data.
    """
    ds = cfg.dataset
    ingest_dir, out_dir = Path(cfg.paths.ingest), Path(cfg.paths.merge)
    con = connect(cfg)
    try:
        finals, plans = run_aggregations(con, ds, ingest_dir, log, vocabulary)
    finally:
        con.close()
    side = assemble(ds, finals)
    del finals
    report = {
        "dataset": ds.name,
        "rows": side.num_rows,
        "features": side.num_columns - 1,
        "blocks": {
            name: {"columns": len(plan), "attached": spec.attach_to}
            for (name, plan), spec in zip(plans.items(), ds.aggregations, strict=True)
        },
        "levels": vocabulary_to_json(vocabulary_of(plans)),
    }
    with atomic_dir(out_dir) as staging:
        write_table(side, staging / SIDE_FEATURES_FILE)
        write_json(report, staging / REPORT_FILE)
    log(f"side features: {report['rows']:,} ids x {report['features']} features")
    return report
