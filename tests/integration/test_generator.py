"""The generated dataset on disk: schema, keys, default rate, determinism, oracle, drift manifest, atomicity."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from credit_scoring.generator import GeneratorConfig, GeneratorError, generate
from credit_scoring.generator import writer as writer_module
from credit_scoring.generator.core import MANIFEST_FILE, ORACLE_FILE

pytestmark = pytest.mark.integration

REAL_COLUMNS = Path(__file__).parents[1] / "data" / "home_credit_columns.csv"
SMALL = 2_000
FILES = (
    "application_train.csv",
    "application_test.csv",
    "bureau.csv",
    "bureau_balance.csv",
    "previous_application.csv",
    "POS_CASH_balance.csv",
    "credit_card_balance.csv",
    "installments_payments.csv",
)
YN_FLAGS = {"FLAG_OWN_CAR", "FLAG_OWN_REALTY", "FLAG_LAST_APPL_PER_CONTRACT"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("gen")
    generate(GeneratorConfig(applicants=SMALL, seed=7), root / "raw", root / "oracle")
    return root / "raw", root / "oracle"


@pytest.fixture(scope="module")
def frames(dataset: tuple[Path, Path]) -> dict[str, pd.DataFrame]:
    raw, _ = dataset
    return {f.removesuffix(".csv"): pd.read_csv(raw / f) for f in FILES}


def _real_schema() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    with REAL_COLUMNS.open() as f:
        for row in csv.DictReader(f):
            out.setdefault(row["table"], []).append((row["column"], row["dtype"]))
    return out


def test_writes_the_eight_files_with_the_real_names(dataset: tuple[Path, Path]) -> None:
    raw, oracle = dataset
    assert sorted(p.name for p in raw.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in oracle.iterdir()) == sorted([ORACLE_FILE, MANIFEST_FILE])


def test_columns_and_dtypes_match_the_real_files(frames: dict[str, pd.DataFrame]) -> None:
    for table, cols in _real_schema().items():
        df = frames[table]
        assert list(df.columns) == [c for c, _ in cols], table
        for name, kind in cols:
            dtype = df[name].dtype
            if kind == "category" or name in YN_FLAGS:
                assert pd.api.types.is_object_dtype(dtype), (table, name, dtype)
            else:
                assert pd.api.types.is_numeric_dtype(dtype), (table, name, dtype)
                if kind in ("int", "flag") and not df[name].isna().any():
                    assert pd.api.types.is_integer_dtype(dtype), (table, name, dtype)
    assert set(frames["application_train"]["FLAG_OWN_CAR"].unique()) <= {"Y", "N"}


def test_application_quirks(frames: dict[str, pd.DataFrame]) -> None:
    train = frames["application_train"]
    assert (train["DAYS_BIRTH"] < 0).all()
    pens = train["DAYS_EMPLOYED"] == 365243
    assert 0.14 < pens.mean() < 0.22
    assert (train.loc[~pens, "DAYS_EMPLOYED"] <= 0).all()
    assert (train.loc[pens, "ORGANIZATION_TYPE"] == "XNA").all()
    for k, rate in ((1, 0.564), (2, 0.002), (3, 0.198)):
        ext = train[f"EXT_SOURCE_{k}"]
        assert abs(ext.isna().mean() - rate) < 0.04
        assert ext.dropna().between(0, 1).all()
    assert train["COMMONAREA_AVG"].isna().mean() > 0.6
    # building block: a sparser column is missing whenever a denser one is
    assert (train["COMMONAREA_AVG"].isna() | train["APARTMENTS_AVG"].notna()).all()
    assert train["OWN_CAR_AGE"].isna().eq(train["FLAG_OWN_CAR"] == "N").all()
    assert train["AMT_INCOME_TOTAL"].mean() > train["AMT_INCOME_TOTAL"].median()


def test_keys_are_unique_and_consistent(frames: dict[str, pd.DataFrame]) -> None:
    train, test = frames["application_train"], frames["application_test"]
    ids = pd.concat([train["SK_ID_CURR"], test["SK_ID_CURR"]])
    assert ids.is_unique
    assert train["SK_ID_CURR"].is_monotonic_increasing
    bureau, prev = frames["bureau"], frames["previous_application"]
    assert bureau["SK_ID_BUREAU"].is_unique and prev["SK_ID_PREV"].is_unique
    assert bureau["SK_ID_CURR"].isin(ids).all() and prev["SK_ID_CURR"].isin(ids).all()
    assert frames["bureau_balance"]["SK_ID_BUREAU"].isin(bureau["SK_ID_BUREAU"]).all()
    owner = prev.set_index("SK_ID_PREV")["SK_ID_CURR"]
    for t in ("POS_CASH_balance", "credit_card_balance", "installments_payments"):
        child = frames[t]
        assert child["SK_ID_PREV"].isin(owner.index).all(), t
        assert (child["SK_ID_CURR"].to_numpy() == owner.loc[child["SK_ID_PREV"]].to_numpy()).all(), t


def test_default_rate_and_oracle(frames: dict[str, pd.DataFrame], dataset: tuple[Path, Path]) -> None:
    _, oracle_dir = dataset
    oracle = pd.read_csv(oracle_dir / ORACLE_FILE)
    train, test = frames["application_train"], frames["application_test"]
    assert set(train["TARGET"].unique()) <= {0, 1}
    assert len(oracle) == len(train) + len(test)
    assert oracle["P_TRUE"].between(0, 1, inclusive="neither").all()
    o_train = oracle[oracle["SPLIT"] == "train"].set_index("SK_ID_CURR")
    assert (o_train.loc[train["SK_ID_CURR"], "TARGET"].to_numpy() == train["TARGET"].to_numpy()).all()
    assert set(oracle.loc[oracle["SPLIT"] == "test", "SK_ID_CURR"]) == set(test["SK_ID_CURR"])
    assert abs(o_train["P_TRUE"].mean() - 0.080729) < 1e-6  # the intercept is solved for it
    sd = np.sqrt(0.0807 * 0.9193 / len(train))
    assert abs(train["TARGET"].mean() - 0.0807) < 4 * sd
    assert oracle.loc[oracle["SPLIT"] == "test", "TARGET"].isin([0, 1]).all()


def test_drift_manifest_names_the_shifted_columns(
    frames: dict[str, pd.DataFrame], dataset: tuple[Path, Path]
) -> None:
    _, oracle_dir = dataset
    manifest = json.loads((oracle_dir / MANIFEST_FILE).read_text())
    drifted = manifest["drifted_columns"]
    assert drifted == sorted(GeneratorConfig().drift)
    train, test = frames["application_train"], frames["application_test"]
    numeric_drifted = [c for c in drifted if pd.api.types.is_numeric_dtype(train[c])]
    for c in numeric_drifted:
        assert ks_2samp(train[c].dropna(), test[c].dropna()).pvalue < 0.01, c
    share = (test["NAME_CONTRACT_TYPE"] == "Revolving loans").mean()
    assert share > (train["NAME_CONTRACT_TYPE"] == "Revolving loans").mean() + 0.03


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    cfg = GeneratorConfig(applicants=400, seed=11)
    generate(cfg, tmp_path / "a" / "raw", tmp_path / "a" / "oracle")
    generate(cfg, tmp_path / "b" / "raw", tmp_path / "b" / "oracle")
    assert _digest(tmp_path / "a" / "raw") == _digest(tmp_path / "b" / "raw")
    assert _digest(tmp_path / "a" / "oracle") == _digest(tmp_path / "b" / "oracle")
    generate(GeneratorConfig(applicants=400, seed=12), tmp_path / "c" / "raw", tmp_path / "c" / "oracle")
    assert _digest(tmp_path / "a" / "raw") != _digest(tmp_path / "c" / "raw")


def test_no_drift_gives_an_empty_manifest(tmp_path: Path) -> None:
    generate(GeneratorConfig(applicants=300, seed=1, drift={}), tmp_path / "raw", tmp_path / "oracle")
    assert json.loads((tmp_path / "oracle" / MANIFEST_FILE).read_text())["drifted_columns"] == []


@pytest.mark.parametrize("applicants", [-5, 0, 50])
def test_too_small_or_negative_size_is_refused(applicants: int) -> None:
    with pytest.raises(ValueError, match="applicants"):
        GeneratorConfig(applicants=applicants)


def test_unknown_drift_column_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NOT_A_COLUMN"):
        generate(GeneratorConfig(applicants=200, drift={"NOT_A_COLUMN": 1.0}), tmp_path / "r", tmp_path / "o")


def test_unwritable_output_folder_is_refused_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(GeneratorError, match="a_file"):
        generate(GeneratorConfig(applicants=200), blocker / "raw", tmp_path / "oracle")
    with pytest.raises(GeneratorError, match="oracle folder must differ"):
        generate(GeneratorConfig(applicants=200), tmp_path / "same", tmp_path / "same")


def test_a_failed_generation_leaves_previous_files_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, oracle = tmp_path / "raw", tmp_path / "oracle"
    generate(GeneratorConfig(applicants=300, seed=3), raw, oracle)
    before = _digest(raw)
    calls = {"n": 0}
    real_write = writer_module.write_csv

    def failing_write(df: pd.DataFrame, path: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full (simulated)")
        real_write(df, path)

    monkeypatch.setattr("credit_scoring.generator.core.write_csv", failing_write)
    with pytest.raises(OSError, match="simulated"):
        generate(GeneratorConfig(applicants=300, seed=4), raw, oracle)
    assert _digest(raw) == before
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_monthly_batches_grow_in_drift_and_keep_ids_apart(tmp_path: Path) -> None:
    from credit_scoring.generator import generate_batches

    cfg = GeneratorConfig(applicants=300, seed=5, drift={"AMT_INCOME_TOTAL": 1.5})
    folders = generate_batches(
        cfg, months=3, batch_applicants=400, out_dir=tmp_path / "b", oracle_dir=tmp_path / "o"
    )
    assert [f.name for f in folders] == ["month_01", "month_02", "month_03"]
    base_ids = set(range(cfg.id_start, cfg.id_start + cfg.total_applicants))
    seen: set[int] = set()
    medians = []
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            f for f in FILES if f != "application_train.csv"
        )
        apps = pd.read_csv(folder / "application_test.csv")
        ids = set(apps["SK_ID_CURR"])
        assert not ids & base_ids and not ids & seen
        seen |= ids
        oracle = pd.read_csv(tmp_path / "o" / folder.name / ORACLE_FILE)
        assert set(oracle["SK_ID_CURR"]) == ids and (oracle["SPLIT"] == "test").all()
        bureau = pd.read_csv(folder / "bureau.csv")
        assert bureau["SK_ID_CURR"].isin(ids).all()
        assert pd.read_csv(folder / "bureau_balance.csv")["SK_ID_BUREAU"].isin(bureau["SK_ID_BUREAU"]).all()
        shifts = json.loads((tmp_path / "o" / folder.name / MANIFEST_FILE).read_text())["shifts"]
        medians.append((shifts["AMT_INCOME_TOTAL"], apps["AMT_INCOME_TOTAL"].median()))
    assert [s for s, _ in medians] == [0.5, 1.0, 1.5]
    assert medians[0][1] < medians[1][1] < medians[2][1]
