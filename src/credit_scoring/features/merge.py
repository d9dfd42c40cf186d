"""Merging the side tables: every aggregation block run in duckdb, the id-level blocks joined into one table.

Blocks run in the order of `dataset.aggregations`. A block with `attach_to` (e.g. bureau_balance per
SK_ID_BUREAU) is joined onto that table's rows (many_to_one, the rollup checked unique on its key) before
the table's own blocks read it. The other blocks give one row per id; they are joined on the union of their
ids (each one_to_one, checked) and written sorted by id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from credit_scoring.config import DatasetConfig, RuntimeConfig
from credit_scoring.data.keys import strictly_increasing
from credit_scoring.errors import ConfigError
from credit_scoring.features.aggregate import (
    Output,
    Vocabulary,
    aggregate_duckdb,
    assert_unique,
    describe,
)
from credit_scoring.features.sql import literal, quote


def key_columns(ds: DatasetConfig, table: str) -> set[str]:
    """Columns of a table that are identifiers, never aggregated: its key, its references and the id."""
    t = ds.tables[table]
    return {ds.id, *t.key, *(fk.column for fk in t.references)}


def side_table_names(ds: DatasetConfig) -> list[str]:
    """The tables the aggregations read (their Parquet files are streamed by duckdb)."""
    return list(dict.fromkeys(spec.table for spec in ds.aggregations))


def connect(runtime: RuntimeConfig) -> duckdb.DuckDBPyConnection:
    """A duckdb connection with the configured threads and memory limit."""
    con = duckdb.connect()
    con.execute(f"SET threads = {int(runtime.threads)}")
    con.execute(f"SET memory_limit = {literal(runtime.memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _table_relation(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, attached: list[tuple[str, str]]
) -> str:
    """The table as read from Parquet, with the rollups attached to it left-joined (many_to_one)."""
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


def side_ids(ds: DatasetConfig, blocks: list[pa.Table]) -> np.ndarray:
    """The sorted union of the id-level blocks' ids, each block checked unique on the id (one_to_one)."""
    for b in blocks:
        if pc.count_distinct(b.column(ds.id)).as_py() != b.num_rows:
            raise ConfigError(f"a side-feature block is not unique on {ds.id}")
    if not blocks:
        return np.array([], dtype=np.int64)
    return np.unique(np.concatenate([b.column(ds.id).to_numpy() for b in blocks]))


def assemble(
    ds: DatasetConfig, blocks: list[pa.Table], ids: np.ndarray, rows_per_batch: int
) -> pa.RecordBatchReader:
    """The id-level blocks side by side on `ids` (`side_ids`), as a stream of record batches of
    `rows_per_batch` ids: the id, then every block's columns as float64 (missing where a block lacks the id).

    Streamed so that the wide table is never held whole beside the blocks: each batch takes one slice of
    every block (the blocks are sorted by id first when they are not)."""
    ordered = [b if strictly_increasing([b.column(ds.id).to_numpy()]) else b.sort_by(ds.id) for b in blocks]
    block_ids = [b.column(ds.id).to_numpy() for b in ordered]
    fields = [pa.field(ds.id, pa.int64())]
    fields += [pa.field(n, pa.float64()) for b in ordered for n in b.column_names if n != ds.id]
    schema = pa.schema(fields)

    def batches() -> Iterator[pa.RecordBatch]:
        for lo in range(0, len(ids), rows_per_batch):
            part = ids[lo : lo + rows_per_batch]
            arrays: list[np.ndarray] = [part.astype(np.int64)]
            for b, bids in zip(ordered, block_ids, strict=True):
                start = int(np.searchsorted(bids, part[0], side="left"))
                stop = int(np.searchsorted(bids, part[-1], side="right"))
                rows = b.slice(start, stop - start)
                pos = np.searchsorted(part, bids[start:stop])
                for name in b.column_names:
                    if name != ds.id:
                        arr = np.full(len(part), np.nan)
                        arr[pos] = rows.column(name).to_numpy(zero_copy_only=False)
                        arrays.append(arr)
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def run_aggregations(
    con: duckdb.DuckDBPyConnection,
    ds: DatasetConfig,
    tables: Mapping[str, Path],
    log=print,
    vocabulary: Vocabulary | None = None,
) -> tuple[list[pa.Table], dict[str, list[Output]]]:
    """Run every block; returns the id-level result tables (sorted by id) and each block's plan.

    vocabulary: the categorical levels to keep per block (a production batch reuses the training data's,
    recorded in the merge stage's report), default learnt from the data. tables: the Parquet file of each
    table the aggregations read (`side_table_names`).
    """
    attached: dict[str, list[tuple[str, str]]] = {}
    finals: list[pa.Table] = []
    plans: dict[str, list[Output]] = {}
    names: dict[str, str] = {}
    for i, spec in enumerate(ds.aggregations):
        start = time.perf_counter()
        path = Path(tables[spec.table])
        source = _table_relation(con, path, spec.table, attached.get(spec.table, []))

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
