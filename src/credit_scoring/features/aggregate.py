"""Aggregating a side table to one row per group, as configured by an `Aggregation` block.

The block is first turned into a plan (`plan_block`): the list of output columns, each named by `agg_name`,
from the table's columns, the block's fnmatch patterns and the levels of its categorical columns. The plan
is engine-free; `aggregate_duckdb` runs it with duckdb GROUP BYs (the stage), `aggregate_pandas` in
`credit_scoring.features.aggregate_pandas` runs the same plan in plain pandas (the reference, tests and benchmark).

Semantics shared by both engines: sum/mean/min/max/var/std/median ignore missing values and are missing
when a group has none (var and std are sample statistics, missing for a single value); size counts rows,
count counts present values, nunique counts distinct present values. A categorical column contributes the
share of each of its `max_levels` most frequent levels (ties by level), plus the share of missing values
when `nan_as_category` and the column has any. Subsets aggregate only the rows matching their filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config import AggFunc, Aggregation, SubsetFilter
from credit_scoring.errors import ConfigError
from credit_scoring.features.derived import derived_sql, sentinel_sql
from credit_scoring.features.naming import SAFE, agg_name, level_column
from credit_scoring.features.sql import literal, quote

COUNT_NAME = "COUNT"
GROUP_SIZE = "__group_rows"

SQL_FUNCS: dict[AggFunc, str] = {
    AggFunc.min: "MIN({c})",
    AggFunc.max: "MAX({c})",
    AggFunc.mean: "AVG({c})",
    AggFunc.sum: "SUM({c})",
    AggFunc.var: "VAR_SAMP({c})",
    AggFunc.std: "STDDEV_SAMP({c})",
    AggFunc.median: "MEDIAN({c})",
    AggFunc.size: "COUNT(*)",
    AggFunc.count: "COUNT({c})",
    AggFunc.nunique: "COUNT(DISTINCT {c})",
}
COUNTS = (AggFunc.size, AggFunc.count, AggFunc.nunique)  # 0, not missing, for a group with no rows


@dataclass(frozen=True)
class Output:
    """One output column of a block: func(column) over the group's rows (matching `where`, if any).

    For an indicator (`indicator=True`) the value is the share of rows whose column equals `level`
    (`level=None`: is missing); for the row count `column` and `func` are None.
    """

    name: str
    column: str | None
    func: AggFunc | None
    level: str | None = None
    indicator: bool = False
    where: SubsetFilter | None = None


@dataclass(frozen=True)
class Levels:
    """Levels kept for one categorical column, most frequent first, and whether it has missing values."""

    values: tuple[str, ...]
    has_null: bool


def match_columns(patterns: list[str], columns: list[str], what: str) -> dict[str, list[str]]:
    """Columns matched by each fnmatch pattern, in table order; a pattern matching nothing is an error."""
    out: dict[str, list[str]] = {}
    for p in patterns:
        hits = [c for c in columns if fnmatchcase(c, p)]
        if not hits:
            raise ConfigError(f"{what}: pattern {p!r} matches no column (available: {', '.join(columns)})")
        out[p] = hits
    return out


def plan_block(
    spec: Aggregation,
    numeric: list[str],
    categorical: list[str],
    levels: dict[str, Levels],
) -> list[Output]:
    """The output columns of a block, given the numeric and categorical columns it may use."""
    what = f"aggregation {spec.name} ({spec.table})"
    outputs: list[Output] = []

    def numeric_outputs(aggs: dict[str, str], prefix: str, where: SubsetFilter | None) -> None:
        hits = match_columns(list(aggs), numeric, f"{what} numeric")
        seen: set[tuple[str, AggFunc]] = set()
        for pattern, funcs in aggs.items():
            for col in hits[pattern]:
                for f in map(AggFunc.__getitem__, funcs.split()):
                    if (col, f) not in seen:
                        seen.add((col, f))
                        outputs.append(Output(agg_name(prefix, col, f.name), col, f, where=where))

    numeric_outputs(spec.numeric, spec.prefix, None)
    for col in categorical_columns(spec, categorical):
        lv = levels[col]
        kept: list[str | None] = list(lv.values)
        if spec.nan_as_category and lv.has_null:
            kept.append(None)
        for level in kept:
            name = agg_name(spec.prefix, level_column(col, level), AggFunc.mean.name)
            outputs.append(Output(name, col, AggFunc.mean, level=level, indicator=True))
    if spec.count:
        outputs.append(Output(agg_name(spec.prefix, COUNT_NAME, ""), None, None))
    for sub in spec.subsets:
        if sub.where.column not in categorical and sub.where.column not in numeric:
            raise ConfigError(f"{what}: subset {sub.prefix} filters on unknown column {sub.where.column}")
        numeric_outputs(sub.numeric if sub.numeric is not None else spec.numeric, sub.prefix, sub.where)
    return _unique_names(outputs)


def categorical_columns(spec: Aggregation, categorical: list[str]) -> list[str]:
    """Categorical columns matched by the block's patterns, in table order."""
    hits = match_columns(
        spec.categorical.split(), categorical, f"aggregation {spec.name} ({spec.table}) categorical"
    )
    chosen = {c for cols in hits.values() for c in cols}
    return [c for c in categorical if c in chosen]


def _unique_names(outputs: list[Output]) -> list[Output]:
    """Suffix _2, _3... to names that collide after sanitising levels (e.g. 'Other A' and 'Other_A')."""
    seen: dict[str, int] = {}
    out = []
    for o in outputs:
        n = seen.get(o.name, 0) + 1
        seen[o.name] = n
        out.append(o if n == 1 else Output(f"{o.name}_{n}", o.column, o.func, o.level, o.indicator, o.where))
    return out


# ---- duckdb engine ------------------------------------------------------------------------------------------
NUMERIC_SQL_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
NUMERIC_SQL_TYPES += tuple("U" + t for t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT"))


def describe(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """(column, duckdb type) of a relation."""
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def prepared_view(con: duckdb.DuckDBPyConnection, source: str, spec: Aggregation, view: str) -> None:
    """A view of `source` with the block's sentinels turned into NULL and its derived columns added."""
    cols = [c for c, _ in describe(con, source)]
    for s in spec.sentinels:
        if s.column not in cols:
            raise ConfigError(f"aggregation {spec.name}: sentinel on unknown column {s.column}")
    replace = ", ".join(f"{sentinel_sql(s)} AS {quote(s.column)}" for s in spec.sentinels)
    star = f"* REPLACE ({replace})" if replace else "*"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(view + '_s')} AS SELECT {star} FROM {source}")
    from credit_scoring.features.derived import check_derived

    select = ["*"]
    available = list(cols)
    for d in spec.derived:
        check_derived(d, available, f"aggregation {spec.name}")
        select.append(f"{derived_sql(d)} AS {quote(d.name)}")
        available.append(d.name)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {quote(view)} AS SELECT {', '.join(select)} FROM {quote(view + '_s')}"
    )


def output_sql(o: Output) -> str:
    """The SELECT expression of one output (DOUBLE)."""
    if o.column is None:
        expr = "COUNT(*)"
    elif o.indicator:
        c = quote(o.column)
        cond = f"{c} IS NULL" if o.level is None else f"{c} = {literal(o.level)}"
        expr = f"COALESCE(SUM(CAST({cond} AS INTEGER)), 0) / COUNT(*)"  # 2x faster than AVG(CASE ...)
    else:
        assert o.func is not None
        expr = SQL_FUNCS[o.func].format(c=quote(o.column))
    if o.where is not None:
        expr += f" FILTER (WHERE {quote(o.where.column)} = {literal(o.where.equals)})"
    return f"CAST({expr} AS DOUBLE) AS {quote(o.name)}"


def split_columns(types: list[tuple[str, str]], exclude: set[str]) -> tuple[list[str], list[str]]:
    """(numeric, categorical) column names, keys excluded."""
    numeric = [c for c, t in types if c not in exclude and t.split("(")[0] in NUMERIC_SQL_TYPES]
    categorical = [c for c, t in types if c not in exclude and (t == "VARCHAR" or t.startswith("ENUM"))]
    return numeric, categorical


def _dictionary(column: pa.ChunkedArray | pa.Array) -> pa.DictionaryArray:
    """One dictionary-encoded array (string levels) for a text, enum or dictionary column."""
    if isinstance(column, pa.ChunkedArray):
        if pa.types.is_dictionary(column.type):
            column = column.unify_dictionaries()  # chunks (row groups) may carry different dictionaries
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(column.type) or not pa.types.is_string(column.type.value_type):
        column = pc.dictionary_encode(pc.cast(column, pa.string()))
    return column


def encode_levels(
    column: pa.ChunkedArray | pa.Array, max_levels: int, fixed: Levels | None = None
) -> tuple[Levels, np.ndarray]:
    """The kept levels of a categorical column (most frequent first, ties by level) and per-row codes:
    0..k-1 for a kept level, k for missing, -1 for a level not kept.

    fixed: keep exactly these levels (the training data's vocabulary), whether or not they occur here, so
    that a production batch gets the same indicator columns as the training data.
    """
    arr = _dictionary(column)
    values = arr.dictionary.to_pylist()
    idx = pc.fill_null(arr.indices, len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    mapping = np.full(len(values) + 1, -1, dtype=np.int64)
    if fixed is not None:
        position = {v: i for i, v in enumerate(fixed.values)}
        for i, v in enumerate(values):
            mapping[i] = position.get(v, -1)
        mapping[len(values)] = len(fixed.values)
        return fixed, mapping[idx]
    counts = np.bincount(idx, minlength=len(values) + 1)
    present = [i for i in range(len(values)) if counts[i] > 0]
    ranked = sorted(present, key=lambda i: (-counts[i], values[i]))[:max_levels]
    mapping[ranked] = np.arange(len(ranked))
    mapping[len(values)] = len(ranked)
    return Levels(tuple(values[i] for i in ranked), bool(counts[len(values)] > 0)), mapping[idx]


Vocabulary = dict[str, dict[str, Levels]]  # block name -> categorical column -> kept levels


def vocabulary_of(plans: dict[str, list[Output]]) -> Vocabulary:
    """The levels each block kept, read back from its plan (indicator outputs; level None = missing)."""
    out: Vocabulary = {}
    for block, plan in plans.items():
        found: dict[str, tuple[list[str], bool]] = {}
        for o in plan:
            if o.indicator and o.column is not None:
                values, has_null = found.setdefault(o.column, ([], False))
                if o.level is None:
                    found[o.column] = (values, True)
                else:
                    values.append(o.level)
        if found:
            out[block] = {c: Levels(tuple(v), n) for c, (v, n) in found.items()}
    return out


def vocabulary_to_json(vocabulary: Vocabulary) -> dict[str, Any]:
    return {b: {c: {"values": list(lv.values), "has_null": lv.has_null} for c, lv in cols.items()}
            for b, cols in vocabulary.items()}  # fmt: skip


def vocabulary_from_json(data: dict[str, Any]) -> Vocabulary:
    return {b: {c: Levels(tuple(v["values"]), bool(v["has_null"])) for c, v in cols.items()}
            for b, cols in data.items()}  # fmt: skip


def _sorted_by(table: pa.Table, by: str) -> tuple[np.ndarray, pa.Table]:
    ids = table.column(by).to_numpy()
    order = np.argsort(ids, kind="stable")
    return ids[order], table.take(pa.array(order))


def _aligned(
    ids: np.ndarray, part: pa.Table, by: str, fills: dict[str, float] | None = None
) -> dict[str, np.ndarray]:
    """Columns of `part` (one row per id, a subset of `ids`) spread onto `ids`; absent ids get their column's
    fill (default NaN). The rows of `part` are located in `ids` once, for all its columns."""
    pos = np.searchsorted(ids, part.column(by).to_numpy())
    out = {}
    for name in part.column_names:
        if name != by:
            arr = np.full(len(ids), (fills or {}).get(name, np.nan), dtype="float64")
            arr[pos] = part.column(name).to_numpy(zero_copy_only=False)
            out[name] = arr
    return out


def aggregate_duckdb(
    con: duckdb.DuckDBPyConnection,
    source: str,
    spec: Aggregation,
    exclude: set[str],
    read_columns: Callable[[list[str]], pa.Table] | None = None,
    levels: dict[str, Levels] | None = None,
) -> tuple[pa.Table, list[Output]]:
    """Run one block on `source` (a duckdb relation): an Arrow table sorted by `spec.by`, and the block's plan.

    The numeric aggregations are one duckdb GROUP BY; each subset is a GROUP BY of its filtered rows; the
    level shares of the categorical columns are counted with numpy on their dictionary codes (reading them
    with `read_columns`, e.g. straight from Parquet, else from duckdb), which beats one SQL aggregate per
    level by a wide margin. Every part is aligned on the sorted group ids (one_to_one by construction).
    levels: the kept levels per categorical column (default: learnt from this data, see encode_levels).
    """
    view = _safe_name(f"v_{spec.name}")
    prepared_view(con, source, spec, view)
    types = describe(con, quote(view))
    numeric, categorical = split_columns(types, exclude | {spec.by})
    cats = categorical_columns(spec, categorical)
    by = quote(spec.by)
    cat_table = None
    if cats:
        cat_table = (
            read_columns([spec.by, *cats])
            if read_columns is not None
            else con.sql(f"SELECT {by}, {', '.join(map(quote, cats))} FROM {quote(view)}").to_arrow_table()
        )
    fixed = levels or {}
    encoded = {c: encode_levels(cat_table.column(c), spec.max_levels, fixed.get(c)) for c in cats}
    plan = plan_block(spec, numeric, categorical, {c: lv for c, (lv, _) in encoded.items()})

    main = [o for o in plan if o.where is None and not o.indicator]
    select = ", ".join([f"COUNT(*) AS {quote(GROUP_SIZE)}", *(output_sql(o) for o in main)])
    base = con.sql(
        f"SELECT {by}, {select} FROM {quote(view)} WHERE {by} IS NOT NULL GROUP BY {by}"
    ).to_arrow_table()
    ids, base = _sorted_by(base, spec.by)
    columns: dict[str, np.ndarray] = {
        o.name: base.column(o.name).to_numpy(zero_copy_only=False) for o in main
    }
    size = base.column(GROUP_SIZE).to_numpy().astype("float64")

    if cats:
        key = cat_table.column(spec.by).to_numpy(zero_copy_only=False)
        keep = ~pd.isna(key)
        group = np.searchsorted(ids, key[keep].astype(ids.dtype))
        for col in cats:
            levels, codes = encoded[col]
            width = len(levels.values) + 1
            code = codes[keep]
            ok = code >= 0
            counts = np.bincount(group[ok] * width + code[ok], minlength=len(ids) * width).reshape(
                len(ids), width
            )
            for o in plan:
                if o.indicator and o.column == col:
                    j = width - 1 if o.level is None else levels.values.index(o.level)
                    columns[o.name] = counts[:, j] / size

    subsets: dict[tuple[str, str], list[Output]] = {}
    for o in plan:
        if o.where is not None:
            subsets.setdefault((o.where.column, o.where.equals), []).append(o)
    for (col, value), outs in subsets.items():
        select = ", ".join(output_sql(replace(o, where=None)) for o in outs)
        part = con.sql(
            f"SELECT {by}, {select} FROM {quote(view)} "
            f"WHERE {by} IS NOT NULL AND {quote(col)} = {literal(value)} GROUP BY {by}"
        ).to_arrow_table()
        fills = {o.name: 0.0 if o.func in COUNTS else np.nan for o in outs}
        columns.update(_aligned(ids, part, spec.by, fills))
    for name in (view, view + "_s"):
        con.execute(f"DROP VIEW IF EXISTS {quote(name)}")
    table = pa.table({spec.by: ids, **{o.name: np.asarray(columns[o.name], dtype="float64") for o in plan}})
    return table, plan


def _safe_name(name: str) -> str:
    return SAFE.sub("_", name)


def assert_unique(con: duckdb.DuckDBPyConnection, relation: str, key: str, what: str) -> None:
    """Cardinality check of a join side: `key` unique in `relation`."""
    rows, distinct = con.execute(f"SELECT COUNT(*), COUNT(DISTINCT {quote(key)}) FROM {relation}").fetchone()
    if rows != distinct:
        raise ConfigError(f"{what}: {key} is not unique ({rows:,} rows, {distinct:,} distinct)")
