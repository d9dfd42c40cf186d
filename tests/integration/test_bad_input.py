"""The raw-table corpus: each kind of bad raw input fails the ingest stage with a message naming file,
column and rows, and leaves no partial output. Orphan keys and unknown columns of side tables are reported,
not fatal; a UTF-8 byte-order mark and a quoted newline at the reader's block boundary are read as they are."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.errors import InputDataError
from credit_scoring.stages.ingest import run as ingest

pytestmark = pytest.mark.integration


def edit_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite a CSV with `change` applied, every value kept as its original text."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(df).to_csv(path, index=False)


def set_cells(column: str, rows: list[int], value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[rows, column] = value
        return df

    return change


def truncate(path: Path) -> None:
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 4  # 3 characters into a row: far fewer fields than the header
    path.write_bytes(data[:cut])


def rewrite_bytes(path: Path, change: Callable[[bytes], bytes]) -> None:
    path.write_bytes(change(path.read_bytes()))


def semicolons(path: Path) -> None:
    pd.read_csv(path, dtype=str, keep_default_na=False).to_csv(path, index=False, sep=";")


def zipped(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(path.name, path.read_bytes())
    path.write_bytes(buffer.getvalue())


def latin1_cell(path: Path) -> None:
    """Row 3 (line 5) of bureau.csv gets the Latin-1 text 'Caf\xe9' in CREDIT_TYPE."""
    lines = path.read_bytes().split(b"\n")
    column = lines[0].decode().split(",").index("CREDIT_TYPE")
    cells = lines[4].split(b",")
    cells[column] = b"Caf\xe9"
    lines[4] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))


def one_class(df: pd.DataFrame) -> pd.DataFrame:
    df["TARGET"] = "0"
    return df


def with_columns(*names: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(df: pd.DataFrame) -> pd.DataFrame:
        for name in names:
            df[name] = "1"
        return df

    return change


def duplicated_header(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={"AMT_ANNUITY": "DAYS_CREDIT_UPDATE"})


def duplicate_first_key(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[3, "SK_ID_PREV"] = df.loc[0, "SK_ID_PREV"]
    return df


CASES = {
    "missing column": (
        "bureau.csv",
        lambda p: edit_csv(p, lambda df: df.drop(columns=["AMT_CREDIT_SUM"])),
        "bureau.csv: missing required column AMT_CREDIT_SUM",
    ),
    "wrong dtype": (
        "application_train.csv",
        lambda p: edit_csv(p, set_cells("CNT_CHILDREN", [4], "1.5")),
        "application_train.csv: column CNT_CHILDREN is declared int but has 1 non-integer value (line 6: 1.5)",
    ),
    "non-numeric amount": (
        "bureau.csv",
        lambda p: edit_csv(p, set_cells("AMT_CREDIT_SUM", [1, 4, 8], "abc")),
        "bureau.csv: column AMT_CREDIT_SUM has 3 non-numeric values (lines 3, 6, 10: 'abc', 'abc', 'abc')",
    ),
    "duplicate key": (
        "previous_application.csv",
        lambda p: edit_csv(p, duplicate_first_key),
        "previous_application.csv: key column SK_ID_PREV is not unique: 1 value repeated on 2 rows (lines 2, 5",
    ),
    "target outside 0/1": (
        "application_train.csv",
        lambda p: edit_csv(p, set_cells("TARGET", [2, 7], "2")),
        "application_train.csv: column TARGET (the target) has 2 values outside {0, 1} (lines 4, 9: 2, 2)",
    ),
    "empty file": (
        "credit_card_balance.csv",
        lambda p: p.write_bytes(b""),
        "credit_card_balance.csv: file is empty",
    ),
    "truncated csv": (
        "installments_payments.csv",
        truncate,
        "installments_payments.csv: 1 row with the wrong number of fields (expected 8, got 1 on line",
    ),
    "infinite amount": (
        "installments_payments.csv",
        lambda p: edit_csv(p, set_cells("AMT_PAYMENT", [0, 2], "inf")),
        "installments_payments.csv: column AMT_PAYMENT has 2 infinite values (lines 2, 4",
    ),
    "semicolon-separated": (
        "bureau.csv",
        semicolons,
        "bureau.csv: not comma-separated (the header line is split by ';', not ',')",
    ),
    "tab-separated": (
        "bureau.csv",
        lambda p: pd.read_csv(p, dtype=str, keep_default_na=False).to_csv(p, index=False, sep="\t"),
        "bureau.csv: not comma-separated (the header line is split by '\\t', not ',')",
    ),
    "gzip-compressed": (
        "bureau.csv",
        lambda p: rewrite_bytes(p, gzip.compress),
        "bureau.csv: the file is gzip-compressed, not a plain CSV: decompress it first",
    ),
    "zip-compressed": (
        "previous_application.csv",
        zipped,
        "previous_application.csv: the file is zip-compressed, not a plain CSV",
    ),
    "non-UTF-8 byte in a text column": (
        "bureau.csv",
        latin1_cell,
        "bureau.csv: line 5 (column CREDIT_TYPE) holds bytes that are not valid UTF-8 (b'\\xe9'): save the file",
    ),
    "target with one class": (
        "application_train.csv",
        lambda p: edit_csv(p, one_class),
        "application_train.csv: column TARGET (the target) has only one class (0 on all 400 rows)",
    ),
    "undeclared columns in the training table only": (
        "application_train.csv",
        lambda p: edit_csv(p, with_columns("NOTE", "RISK_GRADE")),
        "application_train.csv: undeclared column(s) NOTE, RISK_GRADE not in application_test.csv",
    ),
    "missing target value": (
        "application_train.csv",
        lambda p: edit_csv(p, set_cells("TARGET", [5], "")),
        "application_train.csv: column TARGET (the target) has 1 missing value (line 7)",
    ),
    "missing key": (
        "bureau.csv",
        lambda p: edit_csv(p, set_cells("SK_ID_BUREAU", [0, 9], "")),
        "bureau.csv: key column SK_ID_BUREAU has 2 missing values (lines 2, 11)",
    ),
    "flag with another value": (
        "application_train.csv",
        lambda p: edit_csv(p, set_cells("FLAG_OWN_CAR", [1], "maybe")),
        "application_train.csv: column FLAG_OWN_CAR is declared flag (0/1 or Y/N) but has 1 other value "
        "(line 3: 'maybe')",
    ),
    "duplicated column name": (
        "bureau.csv",
        lambda p: edit_csv(p, duplicated_header),
        "bureau.csv: column name(s) DAYS_CREDIT_UPDATE appear more than once in the header",
    ),
    "header only": (
        "bureau_balance.csv",
        lambda p: p.write_bytes(p.read_bytes().split(b"\n")[0] + b"\n"),
        "bureau_balance.csv: has a header but no data rows",
    ),
    "empty first line": (
        "POS_CASH_balance.csv",
        lambda p: p.write_bytes(b"\n" + p.read_bytes()),
        "POS_CASH_balance.csv: the first line is empty, expected the header with column names",
    ),
    "negative income": (
        "application_train.csv",
        lambda p: edit_csv(p, set_cells("AMT_INCOME_TOTAL", [2], "-5000")),
        "application_train.csv: column AMT_INCOME_TOTAL has 1 value outside its plausible range [0, 1e+09] "
        "(line 4: -5000)",
    ),
    "1e308 credit in the production table": (
        "application_test.csv",
        lambda p: edit_csv(p, set_cells("AMT_CREDIT", [0, 3], "1e308")),
        "application_test.csv: column AMT_CREDIT has 2 values outside its plausible range [0, 1e+09] "
        "(lines 2, 5: 1e+308, 1e+308)",
    ),
    "missing file": (
        "credit_card_balance.csv",
        lambda p: p.unlink(),
        "credit_card_balance.csv: file not found in",
    ),
}


@pytest.fixture
def raw_copy(tiny_raw: Path, tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(tiny_raw, raw)
    return raw


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_cleanly(case: str, raw_copy: Path, tmp_path: Path, stage_config, quiet) -> None:
    file, corrupt, expected = CASES[case]
    corrupt(raw_copy / file)
    cfg = stage_config(tmp_path, raw_copy)
    with pytest.raises(InputDataError) as err:
        ingest(cfg, **quiet)
    assert expected in str(err.value)
    artifacts = Path(cfg.paths.ingest).parent
    assert not Path(cfg.paths.ingest).exists()
    left = [p.name for p in artifacts.iterdir()] if artifacts.exists() else []
    assert left in ([], [".ingest.lock"])  # no staging folder or half file left (the empty lock file stays)


def test_entry_point_prints_one_clean_message(
    raw_copy: Path, tmp_path: Path, repo_root: Path, stage_config
) -> None:
    edit_csv(raw_copy / "bureau.csv", set_cells("AMT_CREDIT_SUM", [1], "abc"))
    cfg = stage_config(tmp_path, raw_copy)
    done = subprocess.run(
        [sys.executable, "pipelines/ingest.py", f"paths.raw={raw_copy}", f"paths.ingest={cfg.paths.ingest}"],
        cwd=repo_root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "bureau.csv: column AMT_CREDIT_SUM has 1 non-numeric value (line 3: 'abc')" in done.stderr
    assert "Traceback" not in done.stderr
    assert not Path(cfg.paths.ingest).exists()


def test_orphans_and_extra_columns_are_kept_and_reported(
    raw_copy: Path, tmp_path: Path, stage_config, quiet
) -> None:
    def orphan_and_extra(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[[0, 1], "SK_ID_CURR"] = "999999999"
        df["NOTE"] = "hello"
        return df

    edit_csv(raw_copy / "bureau.csv", orphan_and_extra)
    cfg = stage_config(tmp_path, raw_copy)
    report = ingest(cfg, **quiet)
    bureau = report["tables"]["bureau"]
    assert bureau["extra_columns"] == ["NOTE"]
    assert bureau["orphans"]["SK_ID_CURR"] == {
        "parents": ["application_train", "application_test"],
        "rows": 2,
        "distinct": 1,
    }
    df = pd.read_parquet(Path(cfg.paths.ingest) / "bureau.parquet")
    assert (df["SK_ID_CURR"] == 999999999).sum() == 2 and (df["NOTE"] == "hello").all()


def test_utf8_byte_order_mark_is_read(raw_copy: Path, tmp_path: Path, stage_config, quiet) -> None:
    """A UTF-8 BOM (a spreadsheet's 'CSV UTF-8' export) is skipped: the first column keeps its name."""
    rewrite_bytes(raw_copy / "application_train.csv", lambda data: b"\xef\xbb\xbf" + data)
    cfg = stage_config(tmp_path, raw_copy)
    report = ingest(cfg, **quiet)
    train = pd.read_parquet(Path(cfg.paths.ingest) / "application_train.parquet")
    assert train.columns[0] == "SK_ID_CURR"
    assert report["tables"]["application_train"]["rows"] == len(train)
    assert len(train) == len(pd.read_csv(raw_copy / "application_train.csv", encoding="utf-8-sig"))


BLOCK = 1 << 20  # pyarrow's CSV block: the threaded reader splits the file at the last newline before it


def newline_at_block_boundary(path: Path, column: str) -> str:
    """Pad `path` past 1 MiB and put a quoted newline in `column` of the row crossing the first block's end,
    with the newline just before it and the closing quote after; returns the value written."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = header.index(column)

    def render(rs: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rs)
        return out.getvalue().encode()

    target = 30  # the data row that straddles the block end
    value = "first part\n" + "x" * 400
    body[target][col] = value
    before = len(render([header, *body[:target]]))
    prefix = len(render([body[target][:col] + [""]])) - 1  # the row up to its quoted field
    pad = BLOCK - 20 - before - prefix - len('"first part')
    body[0][col] = "p" * pad  # a long category level in the first row moves the rest forward
    data = render([header, *body])
    assert data.index(b"first part\n") < BLOCK < data.index(b'x"')
    path.write_bytes(data)
    return value


def test_quoted_newline_at_the_block_boundary_is_read(
    raw_copy: Path, tmp_path: Path, stage_config, quiet
) -> None:
    value = newline_at_block_boundary(raw_copy / "previous_application.csv", "NAME_CONTRACT_STATUS")
    cfg = stage_config(tmp_path, raw_copy)
    report = ingest(cfg, **quiet)
    rows = len(pd.read_csv(raw_copy / "previous_application.csv"))
    assert report["tables"]["previous_application"]["rows"] == rows
    prev = pd.read_parquet(Path(cfg.paths.ingest) / "previous_application.parquet")
    assert (prev["NAME_CONTRACT_STATUS"] == value).sum() == 1
