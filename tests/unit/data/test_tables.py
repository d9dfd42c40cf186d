"""Raw CSV reading and table validation on tiny inline inputs: every kind of bad input, clear messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from credit_scoring.config import ColumnsByType, TableConfig
from credit_scoring.data.keys import keys_unique
from credit_scoring.data.tables import (
    check_header,
    count_orphans,
    read_raw_csv,
    validate_arrow,
    validate_table,
)
from credit_scoring.errors import InputDataError

TABLE = TableConfig(
    file="loans.csv",
    columns=ColumnsByType(int="ID TARGET N", float="AMT", flag="FLAG", category="KIND"),
    key=["ID"],
)


def frame(**overrides) -> pd.DataFrame:
    base = {
        "ID": [1.0, 2.0, 3.0, 4.0],
        "TARGET": [0.0, 1.0, 0.0, 0.0],
        "AMT": [10.5, np.nan, 3.0, 4.0],
        "N": [1.0, 2.0, np.nan, 0.0],
        "FLAG": ["Y", "N", None, "1"],
        "KIND": pd.Categorical(["a", "XNA", None, "b"]),
    }
    base.update(overrides)
    return pd.DataFrame(base)


def validate(df: pd.DataFrame | pa.Table) -> pa.Table:
    return validate_arrow(df, TABLE, file="loans.csv", examples=3, target="TARGET")


def test_validate_table_gives_pandas_nullable_types() -> None:
    out = validate_table(frame(), TABLE, file="loans.csv", examples=3, target="TARGET")
    assert str(out["ID"].dtype) == "Int64" and str(out["FLAG"].dtype) == "Int8"
    assert out["FLAG"].tolist()[:2] == [1, 0] and pd.isna(out["FLAG"][2])
    assert isinstance(out["KIND"].dtype, pd.CategoricalDtype)


def test_columns_by_type() -> None:
    assert list(TABLE.types) == ["ID", "TARGET", "N", "AMT", "FLAG", "KIND"]


def test_valid_frame_is_typed_and_input_untouched() -> None:
    df = frame()
    before = df.copy()
    out = validate(df)
    pd.testing.assert_frame_equal(df, before)
    types = {f.name: f.type for f in out.schema}
    assert types["ID"] == pa.int64() and types["N"] == pa.int64() and types["AMT"] == pa.float64()
    assert types["FLAG"] == pa.int8() and pa.types.is_dictionary(types["KIND"])
    assert out.column("FLAG").to_pylist() == [1, 0, None, 1]
    assert out.column("N").to_pylist() == [1, 2, None, 0]
    assert out.column("KIND").to_pylist() == ["a", "XNA", None, "b"]


def test_extra_columns_are_kept() -> None:
    out = validate(frame(NOTE=["x", "y", "z", "w"]))
    assert out.column("NOTE").to_pylist() == ["x", "y", "z", "w"]
    assert check_header(["ID", "TARGET", "AMT", "N", "FLAG", "KIND", "NOTE"], TABLE, "loans.csv") == ["NOTE"]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (
            {"N": [1.0, 2.5, 3.0, 0.7]},
            "loans.csv: column N is declared int but has 2 non-integer values (lines 3, 5",
        ),
        ({"AMT": [1.0, np.inf, -np.inf, 2.0]}, "loans.csv: column AMT has 2 infinite values (lines 3, 4"),
        (
            {"FLAG": ["Y", "maybe", "N", "0"]},
            "loans.csv: column FLAG is declared flag (0/1 or Y/N) but has 1 other value (line 3: 'maybe')",
        ),
        (
            {"ID": [1.0, 2.0, 2.0, 4.0]},
            "loans.csv: key column ID is not unique: 1 value repeated on 2 rows (lines 3, 4",
        ),
        ({"ID": [1.0, np.nan, 3.0, 4.0]}, "loans.csv: key column ID has 1 missing value (line 3)"),
        (
            {"TARGET": [0.0, 2.0, -1.0, 1.0]},
            "loans.csv: column TARGET (the target) has 2 values outside {0, 1} (lines 3, 4: 2, -1)",
        ),
        (
            {"TARGET": [0.0, np.nan, 1.0, 1.0]},
            "loans.csv: column TARGET (the target) has 1 missing value (line 3)",
        ),
    ],
)
def test_bad_values_name_file_column_and_rows(overrides: dict, expected: str) -> None:
    with pytest.raises(InputDataError) as err:
        validate(frame(**overrides))
    assert expected in str(err.value)


def test_error_lists_at_most_the_configured_examples() -> None:
    n = 10
    df = pd.DataFrame(
        {
            "ID": np.arange(n, dtype=float),
            "TARGET": np.zeros(n),
            "AMT": np.full(n, np.inf),
            "N": np.ones(n),
            "FLAG": ["Y"] * n,
            "KIND": ["a"] * n,
        }
    )
    with pytest.raises(InputDataError, match=r"has 10 infinite values \(lines 2, 3, 4, \.\.\."):
        validate(df)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "loans.csv"
    path.write_text(text)
    return path


HEADER = "ID,TARGET,AMT,N,FLAG,KIND\n"


def test_csv_roundtrip_with_quotes_and_yn(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '1,0,2.5,3,Y,"Spouse, partner"\n2,1,,4.0,N,\n')
    raw = read_raw_csv(path, TABLE, examples=3)
    out = validate(raw.frame)
    assert out.column("KIND").to_pylist() == ["Spouse, partner", None]
    assert out.column("N").to_pylist() == [3, 4] and out.column("FLAG").to_pylist() == [1, 0]
    assert raw.extra_columns == []


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            HEADER + "1,0,2.5,3,Y,a\n2,0,abc,3,Y,a\n3,0,x,1,N,b\n",
            "loans.csv: column AMT has 2 non-numeric values (lines 3, 4: 'abc', 'x')",
        ),
        ("", "loans.csv: file is empty"),
        (HEADER, "loans.csv: has a header but no data rows"),
        ("ID,TARGET,N,FLAG,KIND\n1,0,3,Y,a\n", "loans.csv: missing required column AMT"),
        (
            HEADER + "1,0,2.5,3,Y,a\n2,0,1",
            "loans.csv: 1 row with the wrong number of fields (expected 6, got 3 on line 3",
        ),
        ("ID,ID,TARGET,AMT,N,FLAG,KIND\n", "appear more than once"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InputDataError) as err:
        read_raw_csv(write(tmp_path, text), TABLE, examples=3)
    assert expected in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="loans.csv: file not found"):
        read_raw_csv(tmp_path / "loans.csv", TABLE, examples=3)


def test_orphans_are_counted() -> None:
    rows, distinct = count_orphans(pd.Series([1, 2, 2, 9, None, 9, 8]), np.array([1, 2, 3]))
    assert (rows, distinct) == (3, 2)


@pytest.mark.parametrize(
    ("columns", "unique"),
    [
        ({"K": [1, 2, 5, 9]}, True),  # sorted: the one-pass test
        ({"K": [9, 2, 5, 1]}, True),  # unsorted: the hash count
        ({"K": [9, 2, 5, 2]}, False),
        ({"A": [1, 1, 2, 2], "B": [-3, 0, -3, 0]}, True),  # sorted on both
        ({"A": [2, 1, 2, 1], "B": [0, 0, -3, -3]}, True),  # unsorted: packed into one column
        ({"A": [2, 1, 2, 1], "B": [0, 0, -3, 0]}, False),
        ({"A": [1, 1, 2, 2], "B": [0, 0, 1, 2]}, False),  # sorted but not strictly
        ({"A": [0, 2**62, 0, 5], "B": [0, 1, 1, 0]}, True),  # ranges beyond 63 bits: the group-by
        ({"A": [0, 2**62, 0, 5], "B": [1, 1, 1, 0]}, False),
        ({"A": ["x", "y", "x"], "B": [1, 1, 2]}, True),  # text keys: the group-by
        ({"A": ["x", "y", "x"], "B": [1, 1, 1]}, False),
    ],
)
def test_keys_unique_agrees_with_a_plain_duplicate_check(columns: dict, unique: bool) -> None:
    frame = pd.DataFrame(columns)
    for dtype in ("int64", "int8"):
        if any(v > 127 for c in columns.values() for v in c if isinstance(v, int)) and dtype == "int8":
            continue
        cast = {c: dtype for c, v in columns.items() if isinstance(v[0], int)}
        t = pa.Table.from_pandas(frame.astype(cast), preserve_index=False)
        assert keys_unique(t, list(columns)) is unique
        assert (not frame.duplicated().any()) is unique


def test_an_infinity_under_a_missing_slot_is_not_reported() -> None:
    """The infinity test reads the raw value buffer: a slot marked missing may hold any bits, an infinity
    included, and must still pass as missing; a visible infinity in a later chunk is still found."""
    values = pa.py_buffer(np.array([1.0, np.inf, 3.0]).tobytes())
    validity = pa.py_buffer(np.packbits([1, 0, 1], bitorder="little").tobytes())
    hidden = pa.Array.from_buffers(pa.float64(), 3, [validity, values], null_count=1)
    table = TableConfig(file="t.csv", key=[], columns=ColumnsByType(float="X"))
    typed = validate_arrow(pa.table({"X": pa.chunked_array([hidden])}), table, file="t.csv", examples=3)
    assert typed.column("X").null_count == 1
    visible = pa.chunked_array([hidden, pa.array([2.0, -np.inf])])
    with pytest.raises(InputDataError, match="column X has 1 infinite value"):
        validate_arrow(pa.table({"X": visible}), table, file="t.csv", examples=3)
