"""Reading a raw CSV against its declared schema, and validating the typed frame.

Every problem is raised as `InputDataError` naming the file, the column and how many rows, with the first
few CSV line numbers (line 1 is the header, so data row i, counted from 1, is on line i + 1).

Declared types (conf/dataset/*.yaml, `ColumnType`): int and float columns are parsed as numbers (an int
column may be written 5 or 5.0, as in the real files where NaN turned ints into floats) and stored as
int64 / float64; flags accept 0/1 and Y/N and are stored as int8; categories keep any level (XNA included)
and are stored dictionary-encoded (pandas categoricals when read back). All nullable, all in Arrow. Missing values are allowed everywhere except in
keys and the target; infinite numbers never are. Columns the schema does not declare are kept and reported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from credit_scoring.config import ColumnType, TableConfig
from credit_scoring.data.keys import keys_unique
from credit_scoring.errors import InputDataError

FLAG_VALUES: dict[str, int] = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "N": 0, "Y": 1}
TARGET_VALUES = (0, 1)
HEADER_LINES = 1  # data row i (0-based) is on line i + HEADER_LINES + 1


@dataclass(frozen=True)
class RawTable:
    """A parsed CSV before validation: the Arrow table and the columns the schema does not declare."""

    frame: pa.Table
    extra_columns: list[str]


def lines_of(positions: Iterable[int]) -> list[int]:
    """CSV line numbers of 0-based data row positions."""
    return [int(p) + HEADER_LINES + 1 for p in positions]


def describe_rows(mask: np.ndarray, values: pd.Series | None, examples: int) -> str:
    """'3 values (lines 3, 6, 10: 'abc', 'x', 'y')' for the rows where `mask` is true."""
    positions = np.flatnonzero(mask)
    shown = positions[:examples]
    lines = ", ".join(str(n) for n in lines_of(shown))
    more = ", ..." if len(positions) > len(shown) else ""
    if values is None:
        return f"(line{'s' if len(positions) > 1 else ''} {lines}{more})"
    vals = ", ".join(repr(_plain(v)) for v in values.iloc[shown])
    return f"(line{'s' if len(positions) > 1 else ''} {lines}{more}: {vals}{more})"


def _plain(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ---- reading ------------------------------------------------------------------------------------------------
COMPRESSED = {  # magic bytes of compressed files: a CSV is read as plain text
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
OTHER_SEPARATORS = (";", "\t", "|")
UTF8_BOM = b"\xef\xbb\xbf"


def read_header(path: Path) -> list[str]:
    """Column names of a CSV file (a UTF-8 byte-order mark is skipped); errors for a missing, empty,
    compressed or not comma-separated file."""
    if not path.is_file():
        raise InputDataError(f"{path.name}: file not found in {path.parent}")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path.name}: file is empty (0 bytes, not even a header line)")
    with path.open("rb") as fh:
        start = fh.read(8)
    for magic, kind in COMPRESSED.items():
        if start.startswith(magic):
            raise InputDataError(
                f"{path.name}: the file is {kind}-compressed, not a plain CSV: decompress it first"
            )
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    if not header or all(not h.strip() for h in header):
        raise InputDataError(f"{path.name}: the first line is empty, expected the header with column names")
    if len(header) == 1:
        for sep in OTHER_SEPARATORS:
            if sep in header[0]:
                raise InputDataError(
                    f"{path.name}: not comma-separated (the header line is split by {sep!r}, not ','): "
                    "save the file as a comma-separated CSV"
                )
    return header


def invalid_utf8_line(path: Path) -> tuple[int, int, bytes] | None:
    """(line number, column position counted from 1, the bad bytes) of the first byte sequence that is not
    UTF-8, or None; lines are physical lines (a quoted field holding a newline counts as two)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                field = line[: exc.start].count(b",") + 1
                return number, field, line[exc.start : exc.end]
    return None


def check_header(header: list[str], table: TableConfig, file: str) -> list[str]:
    """Missing declared columns and duplicated names are errors; returns the extra (undeclared) columns."""
    seen: set[str] = set()
    dupes = sorted({h for h in header if h in seen or seen.add(h)})
    if dupes:
        raise InputDataError(f"{file}: column name(s) {', '.join(dupes)} appear more than once in the header")
    types = table.types
    missing = [c for c in types if c not in seen]
    if missing:
        raise InputDataError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the header has {len(header)} columns)"
        )
    return [h for h in header if h not in types]


def _arrow_types(table: TableConfig, as_text: bool = False) -> dict[str, pa.DataType]:
    types: dict[str, pa.DataType] = {}
    for col, kind in table.types.items():
        if kind in (ColumnType.int, ColumnType.float):
            types[col] = pa.string() if as_text else pa.float64()
        elif kind is ColumnType.flag:
            types[col] = pa.string()
        else:
            types[col] = pa.dictionary(pa.int32(), pa.string())
    return types


def _read(
    path: Path, types: dict[str, pa.DataType], threads: bool, newlines_in_values: bool = False
) -> tuple[pa.Table, list]:
    bad_rows: list = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row)
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=threads),
        parse_options=pacsv.ParseOptions(
            invalid_row_handler=on_invalid, newlines_in_values=newlines_in_values
        ),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    return table, bad_rows


def _not_utf8(path: Path, header: list[str]) -> str:
    found = invalid_utf8_line(path)
    if found is None:
        return f"{path.name}: holds text that is not valid UTF-8: save the file as UTF-8"
    line, field, raw = found
    column = f" (column {header[field - 1]})" if field <= len(header) else ""
    return (
        f"{path.name}: line {line}{column} holds bytes that are not valid UTF-8 ({raw!r}): "
        "save the file as UTF-8"
    )


def read_raw_csv(path: Path, table: TableConfig, examples: int) -> RawTable:
    """Parse `path` with the declared types (fast path); on a problem, explain it precisely and raise.

    The fast path splits the file in blocks at newlines; a quoted field holding a newline at a block's end
    then looks like a short row, so rows with the wrong number of fields are read again serially with
    newlines inside quoted values allowed, which is exact (and gives the line numbers).
    """
    file = path.name
    header = read_header(path)
    extra = check_header(header, table, file)
    types = _arrow_types(table)
    try:
        arrow, bad_rows = _read(path, types, threads=True)
        if bad_rows:
            arrow, bad_rows = _read(path, types, threads=False, newlines_in_values=True)
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc):
            raise InputDataError(_not_utf8(path, header)) from None
        if "conversion error" in str(exc):
            raise InputDataError(_explain_non_numeric(path, table, examples)) from None
        raise InputDataError(f"{file}: cannot be parsed as CSV ({exc}); the file may be truncated") from None
    if bad_rows:
        first = bad_rows[0]
        lines = ", ".join(str(r.number) for r in bad_rows[:examples] if r.number is not None)
        raise InputDataError(
            f"{file}: {_plural(len(bad_rows), 'row')} with the wrong number of fields "
            f"(expected {first.expected_columns}, got {first.actual_columns} on line {first.number}; "
            f"lines {lines}): the file is truncated or malformed"
        )
    if arrow.num_rows == 0:
        raise InputDataError(f"{file}: has a header but no data rows")
    return RawTable(frame=arrow, extra_columns=extra)


def _explain_non_numeric(path: Path, table: TableConfig, examples: int) -> str:
    """Re-read the numeric columns as text and name every column holding values that are not numbers."""
    arrow, _ = _read(path, _arrow_types(table, as_text=True), threads=True)
    numeric = [c for c, k in table.types.items() if k in (ColumnType.int, ColumnType.float)]
    frame = arrow.select(numeric).to_pandas()
    problems = non_numeric_problems(frame, table, path.name, examples)
    return "\n".join(problems) or f"{path.name}: a numeric column holds a value that is not a number"


def non_numeric_problems(frame: pd.DataFrame, table: TableConfig, file: str, examples: int) -> list[str]:
    """One line per declared int / float column of `frame` holding text that is not a number (lines and values
    named); columns the frame lacks or holds as numbers already pass."""
    problems = []
    for col, kind in table.types.items():
        if kind not in (ColumnType.int, ColumnType.float) or col not in frame.columns:
            continue
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        bad = (values.notna() & pd.to_numeric(values, errors="coerce").isna()).to_numpy()
        if bad.any():
            problems.append(
                f"{file}: column {col} has {_plural(int(bad.sum()), 'non-numeric value')} "
                f"{describe_rows(bad, values, examples)}"
            )
    return problems


# ---- validation ---------------------------------------------------------------------------------------------
FLAG_KEYS = pa.array(list(FLAG_VALUES), pa.string())
FLAG_CODES = pa.array(list(FLAG_VALUES.values()), pa.int8())


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    """True values of a boolean mask (missing ones are not counted): one pass, no copy."""
    return int(pc.sum(mask).as_py() or 0)


def _has_infinite(x: pa.ChunkedArray) -> bool:
    """Whether a float column holds an infinity (NaN and missing ignored): one numpy pass over the values,
    confirmed by min/max only when it finds one; the mask of the infinite rows is only built on the error path."""
    if x.null_count == len(x):
        return False
    for chunk in x.chunks:  # the value buffer, missing slots included: it holds every infinity of the chunk
        values = np.frombuffer(chunk.buffers()[1], dtype=np.float64)[chunk.offset : chunk.offset + len(chunk)]
        if np.isinf(values).any():
            break
    else:
        return False
    bounds = pc.min_max(x)  # exact (missing slots ignored), only when the buffer holds an infinity
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return bool(low is not None and (np.isinf(low) or np.isinf(high)))


def _mask(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False).astype(bool)


def _rows(mask: pa.ChunkedArray | pa.Array, column: pa.ChunkedArray | None, examples: int) -> str:
    """describe_rows for an Arrow mask (error path only: converts to numpy/pandas)."""
    return describe_rows(_mask(mask), None if column is None else column.to_pandas(), examples)


def validate_table(
    frame: pa.Table | pd.DataFrame,
    table: TableConfig,
    *,
    file: str,
    examples: int,
    target: str | None = None,
) -> pd.DataFrame:
    """`validate_arrow` as a pandas frame: nullable Int64 / Int8 for int and flag columns, categoricals."""
    typed = validate_arrow(frame, table, file=file, examples=examples, target=target)
    return typed.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.int8(): pd.Int8Dtype()}.get)


def validate_arrow(
    frame: pa.Table | pd.DataFrame,
    table: TableConfig,
    *,
    file: str,
    examples: int,
    target: str | None = None,
) -> pa.Table:
    """Check a parsed table against its schema and return a typed Arrow table (the input is not modified).

    Checks: declared dtypes (int columns integer-valued, flags 0/1 or Y/N), numbers finite, key columns
    present on every row and unique together, the target (when given) in {0, 1} on every row. Types out:
    int -> int64, float -> float64, flag -> int8, category -> dictionary<string>, all nullable; columns the
    schema does not declare are kept as read. Vectorised with pyarrow.compute; the row numbers of an error
    are only computed on the error path.
    """
    t = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    types = table.types
    problems: list[str] = []
    out: dict[str, pa.ChunkedArray] = {}
    for name in t.column_names:
        col = t.column(name)
        kind = types.get(name)
        if kind in (ColumnType.int, ColumnType.float):
            x = col if pa.types.is_float64(col.type) else pc.cast(col, pa.float64())
            if _has_infinite(x):
                inf = pc.is_inf(x)
                problems.append(
                    f"{file}: column {name} has {_plural(_count(inf), 'infinite value')} "
                    f"{_rows(inf, col, examples)}"
                )
                out[name] = x
                continue
            if kind is ColumnType.int:
                try:  # a safe cast refuses any fractional value: one pass when the column is clean
                    out[name] = pc.cast(x, pa.int64())
                    continue
                except pa.ArrowInvalid:
                    pass
                frac = pc.not_equal(pc.floor(x), x)
                if n := _count(frac):
                    problems.append(
                        f"{file}: column {name} is declared int but has "
                        f"{_plural(n, 'non-integer value')} {_rows(frac, col, examples)}"
                    )
                    out[name] = x
                    continue
                out[name] = pc.cast(x, pa.int64())
            else:
                out[name] = x
        elif kind is ColumnType.flag:
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                codes = pc.take(FLAG_CODES, pc.index_in(col, value_set=FLAG_KEYS))
            else:
                x = pc.cast(col, pa.float64())
                codes = pc.take(pa.array([0, 1], pa.int8()), pc.index_in(x, value_set=pa.array([0.0, 1.0])))
            bad = pc.and_(pc.is_valid(col), pc.is_null(codes))
            if n := _count(bad):
                problems.append(
                    f"{file}: column {name} is declared flag (0/1 or Y/N) but has "
                    f"{_plural(n, 'other value')} {_rows(bad, col, examples)}"
                )
                out[name] = col
                continue
            out[name] = codes
        elif kind is ColumnType.category:
            if pa.types.is_dictionary(col.type):
                out[name] = col
            else:
                out[name] = pc.dictionary_encode(pc.cast(col, pa.string()))
        else:
            out[name] = col  # an extra column: kept as read
    typed = pa.table(out)
    if not problems:
        problems += _key_problems(typed, table, file, examples)
        if target is not None:
            problems += _target_problems(typed, target, file, examples)
    if problems:
        raise InputDataError("\n".join(problems))
    return typed


def _key_problems(t: pa.Table, table: TableConfig, file: str, examples: int) -> list[str]:
    if not table.key:
        return []
    problems = []
    for col in table.key:
        if n := t.column(col).null_count:
            problems.append(
                f"{file}: key column {col} has {_plural(n, 'missing value')} "
                f"{_rows(pc.is_null(t.column(col)), None, examples)}"
            )
    if problems:
        return problems
    keys = list(table.key)
    if keys_unique(t, keys):
        return []
    df = t.select(keys).to_pandas()  # error path: the duplicated rows
    dup = df.duplicated(keep=False).to_numpy()
    n_values = int(df.loc[dup].drop_duplicates().shape[0])
    values = df[keys[0]] if len(keys) == 1 else None
    return [
        f"{file}: key column {' + '.join(keys)} is not unique: {_plural(n_values, 'value')} repeated on "
        f"{_plural(int(dup.sum()), 'row')} {describe_rows(dup, values, examples)}"
    ]


def _target_problems(t: pa.Table, target: str, file: str, examples: int) -> list[str]:
    col = t.column(target)
    bad = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=pa.array(TARGET_VALUES, col.type))))
    problems = []
    if n := _count(bad):
        problems.append(
            f"{file}: column {target} (the target) has {_plural(n, 'value')} outside {{0, 1}} "
            f"{_rows(bad, col, examples)}"
        )
    if n := col.null_count:
        problems.append(
            f"{file}: column {target} (the target) has {_plural(n, 'missing value')} "
            f"{_rows(pc.is_null(col), None, examples)}"
        )
    if not problems and len(classes := pc.unique(col).to_pylist()) < len(TARGET_VALUES):
        problems.append(
            f"{file}: column {target} (the target) has only one class ({classes[0] if classes else 'none'} "
            f"on all {_plural(t.num_rows, 'row')}): a model needs both 0 and 1"
        )
    return problems


def count_orphans(child: pa.ChunkedArray | pd.Series, parent_keys: pa.Array | np.ndarray) -> tuple[int, int]:
    """Rows (and distinct values) of a foreign key column with no match in the parent keys; missing ignored."""
    col = child if isinstance(child, pa.ChunkedArray | pa.Array) else pa.array(child, from_pandas=True)
    parents = parent_keys if isinstance(parent_keys, pa.Array) else pa.array(parent_keys)
    if col.type != parents.type:
        col = pc.cast(col, parents.type)
    orphan = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=parents)))
    rows = _count(orphan)
    return rows, (int(pc.count_distinct(pc.filter(col, orphan)).as_py()) if rows else 0)
