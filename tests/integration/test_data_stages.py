"""The data stages end to end on a tiny generated dataset: ingest, merge, split, features, eda."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credit_scoring.config import Config
from credit_scoring.features.aggregate_pandas import side_features_pandas
from credit_scoring.stages.eda import run as eda_stage
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.split import run as split_stage

pytestmark = pytest.mark.integration

MIN_FEATURES = 700  # the breadth of the public Home Credit LightGBM kernel


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, tiny_raw: Path, stage_config, quiet) -> Config:
    cfg = stage_config(tmp_path_factory.mktemp("run"), tiny_raw)
    ingest(cfg, **quiet)
    merge(cfg, **quiet)
    split_stage(cfg, **quiet)
    features_stage(cfg, **quiet)
    eda_stage(cfg, **quiet)
    return cfg


def test_ingest_writes_typed_sorted_parquet(run: Config, tiny_raw: Path) -> None:
    out = Path(run.paths.ingest)
    expected = {"int": pa.int64(), "float": pa.float64(), "flag": pa.int8()}
    for name, table in run.dataset.tables.items():
        parquet = pq.read_table(out / f"{name}.parquet")
        assert parquet.num_rows == len(pd.read_csv(tiny_raw / table.file, usecols=[0])), name
        assert parquet.column_names == pd.read_csv(tiny_raw / table.file, nrows=0).columns.tolist()
        for col, kind in table.types.items():
            got = parquet.schema.field(col).type
            assert got == expected[kind.value] if kind.value in expected else pa.types.is_dictionary(got), col
    train = pd.read_parquet(out / "application_train.parquet")
    assert train["SK_ID_CURR"].is_monotonic_increasing
    assert set(train["FLAG_OWN_CAR"].unique()) <= {0, 1} and set(train["TARGET"].unique()) == {0, 1}
    assert isinstance(train["NAME_CONTRACT_TYPE"].dtype, pd.CategoricalDtype)
    report = pd.read_json(out / "report.json", typ="series")
    assert set(report["tables"]) == set(run.dataset.tables)
    assert report["tables"]["bureau"]["orphans"]["SK_ID_CURR"]["rows"] == 0


def test_merge_one_row_per_applicant_equal_to_pandas_reference(run: Config) -> None:
    side = pd.read_parquet(Path(run.paths.merge) / "side_features.parquet")
    assert side["SK_ID_CURR"].is_unique and side["SK_ID_CURR"].is_monotonic_increasing
    frames = {t: pd.read_parquet(Path(run.paths.ingest) / f"{t}.parquet") for t in run.dataset.tables}
    ref = side_features_pandas(frames, run.dataset)
    assert list(side.columns) == list(ref.columns)
    for col in side.columns:
        np.testing.assert_allclose(
            side[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, equal_nan=True, err_msg=col
        )
    for prefix in ("BURO_", "ACTIVE_", "CLOSED_", "PREV_", "APPROVED_", "REFUSED_", "POS_", "INSTAL_", "CC_"):
        assert any(c.startswith(prefix) for c in side.columns), prefix
    assert "BURO_MONTHS_BALANCE_SIZE_MEAN" in side.columns and "INSTAL_DPD_MEAN" in side.columns


def test_features_parts(run: Config) -> None:
    out = Path(run.paths.features)
    parts = {p: pd.read_parquet(out / f"{p}.parquet") for p in ("train", "valid", "test", "production")}
    train_ids = pd.read_parquet(Path(run.paths.ingest) / "application_train.parquet")["SK_ID_CURR"]
    test_ids = pd.read_parquet(Path(run.paths.ingest) / "application_test.parquet")["SK_ID_CURR"]
    ids = {p: set(f["SK_ID_CURR"]) for p, f in parts.items()}
    assert ids["train"].isdisjoint(ids["valid"]) and ids["train"].isdisjoint(ids["test"])
    assert ids["valid"].isdisjoint(ids["test"])
    assert ids["train"] | ids["valid"] | ids["test"] == set(train_ids)
    assert ids["production"] == set(test_ids)
    assert "TARGET" not in parts["production"].columns
    feats = [c for c in parts["train"].columns if c not in ("SK_ID_CURR", "TARGET")]
    assert len(feats) >= MIN_FEATURES
    for name, frame in parts.items():
        assert [c for c in frame.columns if c != "TARGET"] == ["SK_ID_CURR", *feats], name
        assert frame["SK_ID_CURR"].is_monotonic_increasing
        values = frame[feats].to_numpy()
        assert values.dtype == np.float32 and not np.isinf(values).any()
    for col in (
        "PAYMENT_RATE",
        "DAYS_EMPLOYED_ANOM",
        "EXT_SOURCES_MEAN",
        "CODE_GENDER_F",
        "INSTAL_PAYMENT_PERC_MEAN",
    ):
        assert col in feats


def test_split_is_written_once_and_reused(run: Config, stage_config, quiet) -> None:
    split_file = Path(run.paths.split) / "split.parquet"
    before = split_file.read_bytes()
    cfg = stage_config(
        Path(run.paths.ingest).parents[1], Path(run.paths.raw), ["features.encoding.max_levels=2"]
    )
    report = features_stage(cfg, **quiet)
    assert split_file.read_bytes() == before
    valid = pd.read_parquet(Path(cfg.paths.features) / "valid.parquet")
    assert set(valid["SK_ID_CURR"]) == set(pd.read_parquet(split_file).query("part == 'valid'")["SK_ID_CURR"])
    assert report["n_features"] < MIN_FEATURES + 200


def test_eda_report_is_self_contained(run: Config) -> None:
    page = Path(run.paths.eda_report).read_text()
    assert page.count("<script type='text/javascript'>") == 1  # plotly.js inlined once
    for title in (
        "How many applicants defaulted",
        "Missing values",
        "most informative features",
        "Correlations",
    ):
        assert title in page
    assert "<script src=" not in page  # nothing fetched from a CDN
