"""Each kind of bad raw input fails the ingest stage with a message naming file, column and rows,
and leaves no partial output. Orphan keys and unknown columns are reported, not fatal."""

from __future__ import annotations

import shutil
import subprocess
import sys
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
    assert not artifacts.exists() or list(artifacts.iterdir()) == []  # no staging folder or half file left


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
