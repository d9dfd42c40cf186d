"""Schema inference for `credit-scoring dataset init`: raw CSVs in, a typed description of the dataset out.

The pure part works on Arrow tables of text (every column read as strings, missing values as nulls):
`infer_column_type` (int / float / flag / category), `find_sentinel` (one value far outside the rest of a
numeric column), `unique_key` and `contained` (keys and references, on whole columns). `infer_dataset` puts
them together over a set of tables, reading the files through `credit_scoring.data.csv_sample` (a sample
of the rows for the types and sentinels, whole columns for the id, the target, the keys and references).

Every problem the inference cannot decide (no id column, id not unique, target not 0/1, ...) is collected
and raised as one `InferenceError`, one line per problem, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config import ColumnType
from credit_scoring.data.csv_sample import (
    SAMPLE_ROWS,
    InferenceError,
    collect_csvs,
    read_columns,
    read_sample,
)
from credit_scoring.errors import InputDataError

__all__ = [  # the file helpers of csv_sample are re-exported: the command imports this module only
    "SAMPLE_ROWS",
    "DatasetInfo",
    "InferenceError",
    "Reference",
    "Sentinel",
    "TableInfo",
    "collect_csvs",
    "contained",
    "find_sentinel",
    "infer_column_type",
    "infer_dataset",
    "read_sample",
    "unique_key",
    "widest",
]

FLAG_SETS = ({"0", "1", "0.0", "1.0"}, {"Y", "N"})
ID_LIKE = re.compile(r"(^|_)(id|key|no|num|code)($|_)|id$", re.IGNORECASE)
SENTINEL_GAP = 5.0  # a sentinel lies more than this many spans of the other values beyond them
SURE_SHARE = 0.001  # ... and, to be suggested in `sentinels:`, holds at least this share of the values
SURE_GAP = 10.0


@dataclass(frozen=True)
class Sentinel:
    """`value` of `column` lies far outside the other values of the column (`low`..`high`)."""

    column: str
    value: float
    count: int
    share: float
    low: float
    high: float
    sure: bool

    @property
    def shown(self) -> str:
        return f"{int(self.value)}" if float(self.value).is_integer() else f"{self.value!r}"


@dataclass(frozen=True)
class Reference:
    column: str
    tables: list[str]


@dataclass
class TableInfo:
    """What was inferred about one CSV."""

    name: str
    file: str
    rows: int
    sampled: int
    types: dict[str, ColumnType]
    key: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    sentinels: list[Sentinel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def columns_of(self, kind: ColumnType) -> list[str]:
        return [c for c, k in self.types.items() if k is kind]


@dataclass
class DatasetInfo:
    """The inferred dataset: tables in argument order, id, target, train and production tables."""

    name: str
    id: str
    target: str
    train_table: str
    production_table: str | None
    tables: dict[str, TableInfo]
    target_rate: float
    notes: list[str] = field(default_factory=list)

    @property
    def side_tables(self) -> list[str]:
        return [t for t in self.tables if t not in (self.train_table, self.production_table)]


# ---- columns ------------------------------------------------------------------------------------------------
def _present(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.utf8_trim_whitespace(pc.drop_null(array))


def _numbers(present: pa.Array) -> np.ndarray | None:
    try:
        return pc.cast(present, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def infer_column_type(values: pa.ChunkedArray | pa.Array) -> ColumnType:
    """flag: only 0/1 or only Y/N; int: numbers all written as integers; float: other numbers (and an
    all-missing column); category: anything else."""
    present = _present(values)
    if len(present) == 0:
        return ColumnType.float
    levels = set(pc.unique(present).to_pylist())
    if any(levels <= allowed for allowed in FLAG_SETS):
        return ColumnType.flag
    numbers = _numbers(present)
    if numbers is None:
        return ColumnType.category
    integer_text = pc.all(pc.match_substring_regex(present, r"^[+-]?\d+$")).as_py()
    return ColumnType.int if integer_text else ColumnType.float


def find_sentinel(column: str, values: pa.ChunkedArray | pa.Array) -> Sentinel | None:
    """A repeated integer value at the top or bottom of a numeric column, more than `SENTINEL_GAP` times the
    span of the other values away from them (like 365243 days among values between -20,000 and 0)."""
    numbers = _numbers(_present(values))
    if numbers is None or len(numbers) < 20:
        return None
    numbers = numbers[np.isfinite(numbers)]
    for candidate in (numbers.max(initial=0.0), numbers.min(initial=0.0)):
        hit = numbers == candidate
        count, rest = int(hit.sum()), numbers[~hit]
        if count < 2 or len(rest) < 10 or not float(candidate).is_integer():
            continue
        low, high = float(rest.min()), float(rest.max())
        span = high - low
        gap = candidate - high if candidate > high else low - candidate
        if span > 0 and gap > SENTINEL_GAP * span:
            share = count / len(numbers)
            sure = bool(share >= SURE_SHARE and gap > SURE_GAP * span)
            return Sentinel(column, float(candidate), count, share, low, high, sure)
    return None


def unique_key(values: pa.ChunkedArray | pa.Array) -> tuple[int, int, list[str]]:
    """(missing values, duplicated rows, a few duplicated values) of a candidate key column."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    missing = array.null_count
    present = _present(array)
    counts = pc.value_counts(present)
    dupes = pc.filter(counts, pc.greater(counts.field("counts"), 1))
    extra = int(pc.sum(dupes.field("counts")).as_py() or 0) - len(dupes)
    return missing, extra, [str(v) for v in dupes.field("values").to_pylist()[:3]]


def _comparable(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    present = _present(values)
    numbers = _numbers(present)
    return present if numbers is None else pa.array(numbers)


def contained(child: pa.ChunkedArray | pa.Array, parents: Sequence[pa.ChunkedArray | pa.Array]) -> int:
    """How many present values of `child` are in none of `parents` (numbers compared as numbers)."""
    values = _comparable(child)
    pool = [_comparable(p) for p in parents]
    if any(p.type != values.type for p in pool):
        return len(values)
    known = pa.concat_arrays(pool) if pool else pa.array([], values.type)
    return int(len(values) - pc.sum(pc.is_in(values, value_set=known)).as_py()) if len(values) else 0


# ---- the dataset --------------------------------------------------------------------------------------------
@dataclass
class _Table:
    path: Path
    sample: pa.Table

    @property
    def header(self) -> list[str]:
        return self.sample.column_names


def infer_dataset(
    name: str,
    csvs: Mapping[str, Path],
    id_col: str,
    target: str,
    production: str | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> DatasetInfo:
    """Read the CSVs (a sample, then whole key columns) and infer the dataset; `InferenceError` lists every
    problem it cannot decide."""
    problems: list[str] = []
    tables: dict[str, _Table] = {}
    for table, path in csvs.items():
        try:
            sample = read_sample(path, sample_rows)
        except InputDataError as exc:
            problems.append(f"{path}: {exc}" if not str(exc).startswith(path.name) else str(exc))
            continue
        tables[table] = _Table(path, sample)
    if problems:
        raise InferenceError(problems)
    train, production = _roles(tables, id_col, target, production)
    full = {}
    try:
        for t, tab in tables.items():
            full[t] = read_columns(
                tab.path, _full_columns(t, tables, id_col, target, (train, production)) or tab.header[:1]
            )
    except InputDataError as exc:
        raise InferenceError([str(exc)]) from None
    problems += _check_id_and_target(tables, full, id_col, target, train, production)
    if problems:
        raise InferenceError(problems)
    order = [
        train,
        *([production] if production else []),
        *(t for t in tables if t not in (train, production)),
    ]
    infos = {t: _table_info(t, tables[t], full[t], id_col, target, t in (train, production)) for t in order}
    _link(infos, full)
    ys = _numbers(_present(full[train].column(target)))
    rate = float(ys.mean()) if ys is not None and len(ys) else 0.0
    info = DatasetInfo(name, id_col, target, train, production, infos, rate)
    if production is not None:
        _compare_production(info)
    return info


def _roles(
    tables: dict[str, _Table], id_col: str, target: str, production: str | None
) -> tuple[str, str | None]:
    problems: list[str] = []
    if production is not None and production not in tables:
        problems.append(f"--production {production!r} is not one of the tables read ({', '.join(tables)})")
        production = None
    holders = [t for t, tab in tables.items() if target in tab.header and t != production]
    if not holders and production is not None and target in tables[production].header:
        problems.append(f"--production {production!r} is the only table with the target {target!r}")
    elif not holders:
        problems.append(f"target column {target!r} is missing: no table has it ({', '.join(tables)})")
    elif len(holders) > 1:
        problems.append(
            f"target column {target!r} is in several tables ({', '.join(holders)}): keep it in one"
        )
    else:
        if id_col not in tables[holders[0]].header:
            problems.append(
                f"{tables[holders[0]].path.name}: no id column {id_col!r} in the table holding the target"
            )
        if production is not None and id_col not in tables[production].header:
            problems.append(
                f"{tables[production].path.name}: no id column {id_col!r} in the production table"
            )
    if problems:
        raise InferenceError(problems)
    return holders[0], production


def _id_like(column: str, table: str, tables: dict[str, _Table], main: tuple[str, str | None]) -> bool:
    """An id-like name, or a column shared with a side table (a column shared by the train and production
    tables only, like an age, is no key)."""
    shared = any(column in tab.header for t, tab in tables.items() if t != table and t not in main)
    return shared or bool(ID_LIKE.search(column))


def _full_columns(
    table: str, tables: dict[str, _Table], id_col: str, target: str, main: tuple[str, str | None]
) -> list[str]:
    """Columns read whole: the id, the target of the train table, and every candidate key or reference."""
    tab = tables[table]
    keyish = (ColumnType.int, ColumnType.category)
    return [
        c
        for c in tab.header
        if c == id_col
        or (c == target and table == main[0])
        or (_id_like(c, table, tables, main) and infer_column_type(tab.sample.column(c)) in keyish)
    ]


def _check_id_and_target(
    tables: dict[str, _Table],
    full: dict[str, pa.Table],
    id_col: str,
    target: str,
    train: str,
    prod: str | None,
) -> list[str]:
    problems: list[str] = []
    for table in (train, prod):
        if table is None:
            continue
        file = tables[table].path.name
        if id_col not in full[table].column_names:
            problems.append(f"{file}: id column {id_col!r} is not an integer or text column")
            continue
        missing, extra, examples = unique_key(full[table].column(id_col))
        if missing:
            problems.append(f"{file}: id column {id_col!r} has {missing:,} missing value(s)")
        if extra:
            problems.append(
                f"{file}: id column {id_col!r} is not unique ({extra:,} repeated row(s), e.g. {', '.join(examples)})"
            )
    if target in full[train].column_names:
        array = full[train].column(target).combine_chunks()
        levels = sorted(set(_present(array).to_pylist()) - FLAG_SETS[0])
        if levels or array.null_count:
            what = (
                f"values {', '.join(repr(v) for v in levels[:5])}"
                if levels
                else f"{array.null_count:,} missing"
            )
            problems.append(
                f"{tables[train].path.name}: target {target!r} must be 0 or 1 on every row ({what})"
            )
    else:
        problems.append(
            f"{tables[train].path.name}: target {target!r} must be 0 or 1 on every row (it is not numeric)"
        )
    return problems


def _table_info(name: str, tab: _Table, full: pa.Table, id_col: str, target: str, main: bool) -> TableInfo:
    types = {c: infer_column_type(tab.sample.column(c)) for c in tab.header}
    notes: list[str] = []
    if target in types and main:
        types[target] = ColumnType.int
    empty = [c for c in types if len(_present(tab.sample.column(c))) == 0]
    single = [
        c
        for c, kind in types.items()
        if kind is ColumnType.flag and c not in empty and len(pc.unique(_present(tab.sample.column(c)))) == 1
    ]
    if empty:
        notes.append(f"empty in the sample, declared float: {' '.join(empty)}")
    if single:
        notes.append(f"one value only in the sample, declared flag: {' '.join(single)}")
    info = TableInfo(name, tab.path.name, full.num_rows, tab.sample.num_rows, types, notes=notes)
    if main:
        info.key = [id_col]
    else:
        candidates = [c for c in full.column_names if c != id_col] + (
            [id_col] if id_col in full.column_names else []
        )
        for col in candidates:
            missing, extra, _ = unique_key(full.column(col))
            if not missing and not extra:
                info.key = [col]
                break
        if info.key == [id_col]:
            notes.append(f"one row per {id_col}: if these are applicants to score, name it with --production")
    for col, kind in types.items():
        if kind in (ColumnType.int, ColumnType.float) and col not in (id_col, target, *info.key):
            found = find_sentinel(col, tab.sample.column(col))
            if found is not None:
                info.sentinels.append(found)
    return info


def _link(infos: dict[str, TableInfo], full: dict[str, pa.Table]) -> None:
    """References: a column named like another table's key, whose values are all in that key."""
    for name, info in infos.items():
        for col in full[name].column_names:
            if col in info.key:
                continue
            parents = [p for p, other in infos.items() if p != name and other.key == [col]]
            if not parents:
                continue
            orphans = contained(full[name].column(col), [full[p].column(col) for p in parents])
            if orphans:
                info.notes.append(
                    f"{col}: {orphans:,} value(s) not found in {' / '.join(parents)}: not declared as a reference"
                )
            else:
                info.references.append(Reference(col, parents))


def _compare_production(info: DatasetInfo) -> None:
    train, prod = info.tables[info.train_table], info.tables[info.production_table or ""]
    expected = [c for c in train.types if c != info.target]
    missing = [c for c in expected if c not in prod.types]
    extra = [c for c in prod.types if c not in train.types]
    if missing:
        prod.notes.append(f"missing training columns (must be added): {' '.join(missing)}")
    if extra:
        prod.notes.append(f"columns not in the training table: {' '.join(extra)}")
    if info.target in prod.types:
        prod.notes.append(f"has the target {info.target}: a production table is scored, drop the column")
    for col in expected:
        if col in prod.types and prod.types[col] is not train.types[col]:
            both = widest(train.types[col], prod.types[col])
            prod.notes.append(
                f"{col}: looks {prod.types[col].value} here, {train.types[col].value} in training: "
                f"declared {both.value} in both"
            )
            train.types[col] = prod.types[col] = both


def widest(a: ColumnType, b: ColumnType) -> ColumnType:
    """The type accepting the values of both: flag < int < float among numbers; category otherwise."""
    order = [ColumnType.flag, ColumnType.int, ColumnType.float]
    if a in order and b in order:
        return max(a, b, key=order.index)
    return a if a is b else ColumnType.category
