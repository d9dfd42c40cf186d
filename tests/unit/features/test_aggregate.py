"""Aggregation engine on tiny inline frames: naming, semantics, duckdb equal to the pandas reference."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from credit_scoring.config import Aggregation, Derived, DerivedOp, Sentinel, Subset, SubsetFilter
from credit_scoring.errors import ConfigError
from credit_scoring.features.aggregate import aggregate_duckdb
from credit_scoring.features.aggregate_pandas import aggregate_pandas
from credit_scoring.features.derived import derived_series, derived_sql
from credit_scoring.features.naming import agg_name, level_column


def test_agg_name_and_level_column() -> None:
    assert agg_name("BURO", "DAYS_CREDIT", "mean") == "BURO_DAYS_CREDIT_MEAN"
    assert agg_name("", "MONTHS_BALANCE", "size") == "MONTHS_BALANCE_SIZE"
    assert agg_name("POS", "COUNT", "") == "POS_COUNT"
    assert level_column("CREDIT_TYPE", "Car loan") == "CREDIT_TYPE_Car_loan"
    assert level_column("NAME_TYPE_SUITE", "Spouse, partner") == "NAME_TYPE_SUITE_Spouse_partner"
    assert level_column("STATUS", None) == "STATUS_nan"


INST = pd.DataFrame(
    {
        "SK_ID_CURR": [1, 1, 1, 2, 2, 3],
        "SK_ID_PREV": [10, 10, 11, 20, 20, 30],
        "AMT_INSTALMENT": [100.0, 100.0, 50.0, 0.0, 80.0, 10.0],
        "AMT_PAYMENT": [100.0, 60.0, np.nan, 5.0, 80.0, 10.0],
        "DAYS_INSTALMENT": [-30.0, -60.0, -90.0, -10.0, -40.0, 365243.0],
        "DAYS_ENTRY_PAYMENT": [-25.0, -70.0, np.nan, -12.0, -40.0, -5.0],
        "STATUS": pd.Categorical(["Active", "Closed", None, "Active", "Active", "Closed"]),
    }
)
SPEC = Aggregation(
    name="inst",
    table="installments",
    by="SK_ID_CURR",
    prefix="INSTAL",
    sentinels=[Sentinel(column="DAYS_INSTALMENT", value=365243)],
    derived=[
        Derived(name="PAYMENT_PERC", op=DerivedOp.ratio, columns="AMT_PAYMENT AMT_INSTALMENT"),
        Derived(
            name="DPD", op=DerivedOp.difference, columns="DAYS_ENTRY_PAYMENT DAYS_INSTALMENT", clip_lower=0
        ),
    ],
    numeric={"AMT_*": "sum max", "DPD": "max mean", "PAYMENT_PERC": "mean var", "SK_ID_PREV": "nunique"},
    categorical="STATUS",
    max_levels=5,
    nan_as_category=True,
    count=True,
    subsets=[
        Subset(
            prefix="ACTIVE",
            where=SubsetFilter(column="STATUS", equals="Active"),
            numeric={"AMT_PAYMENT": "sum size"},
        )
    ],
)
EXCLUDE = {"SK_ID_CURR"}


def run_duckdb(frame: pd.DataFrame, spec: Aggregation) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("src", frame)
    table, plan = aggregate_duckdb(con, "src", spec, EXCLUDE)
    assert table.column_names == ["SK_ID_CURR", *(o.name for o in plan)]
    return table.to_pandas()


def test_hand_computed_values() -> None:
    out = run_duckdb(INST, SPEC).set_index("SK_ID_CURR")
    assert out.loc[1, "INSTAL_AMT_PAYMENT_SUM"] == 160.0
    assert out.loc[1, "INSTAL_DPD_MAX"] == 5.0  # -25 - -30 = 5; -70 - -60 clipped to 0
    assert out.loc[2, "INSTAL_PAYMENT_PERC_MEAN"] == 1.0  # 5/0 is missing, 80/80 = 1
    assert np.isnan(out.loc[3, "INSTAL_DPD_MAX"])  # sentinel 365243 is missing
    assert out.loc[1, "INSTAL_STATUS_nan_MEAN"] == pytest.approx(1 / 3)
    assert out.loc[1, "INSTAL_STATUS_Active_MEAN"] == pytest.approx(1 / 3)
    assert out.loc[1, "INSTAL_COUNT"] == 3 and out.loc[1, "INSTAL_SK_ID_PREV_NUNIQUE"] == 2
    assert out.loc[2, "ACTIVE_AMT_PAYMENT_SUM"] == 85.0 and out.loc[3, "ACTIVE_AMT_PAYMENT_SIZE"] == 0
    assert np.isnan(out.loc[3, "ACTIVE_AMT_PAYMENT_SUM"])  # a sum over no values is missing
    assert np.isnan(out.loc[3, "INSTAL_PAYMENT_PERC_VAR"])  # sample variance of one value


def test_duckdb_equals_pandas_reference() -> None:
    duck = run_duckdb(INST, SPEC)
    ref = aggregate_pandas(INST, SPEC, EXCLUDE)
    assert list(duck.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(duck.astype("float64"), ref.astype("float64"), check_exact=False)


def test_input_frame_not_mutated() -> None:
    before = INST.copy()
    aggregate_pandas(INST, SPEC, EXCLUDE)
    run_duckdb(INST, SPEC)
    pd.testing.assert_frame_equal(INST, before)


def test_max_levels_keeps_most_frequent() -> None:
    spec = Aggregation(
        name="a", table="t", by="SK_ID_CURR", categorical="STATUS", max_levels=1, nan_as_category=False
    )
    out = run_duckdb(INST, spec)
    assert [c for c in out.columns if c != "SK_ID_CURR"] == ["STATUS_Active_MEAN"]


def test_pattern_matching_nothing_is_a_config_error() -> None:
    spec = Aggregation(
        name="a", table="t", by="SK_ID_CURR", numeric={"AMT_TYPO": "sum"}, max_levels=5, nan_as_category=True
    )
    with pytest.raises(ConfigError, match="AMT_TYPO"):
        run_duckdb(INST, spec)


@pytest.mark.parametrize("op", [o for o in DerivedOp if o is not DerivedOp.std])
def test_derived_sql_equals_pandas(op: DerivedOp) -> None:
    df = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 0.0, np.nan],
            "b": [2.0, 5.0, 0.0, 0.0, np.nan],
            "c": [1.0, 2.0, 3.0, np.nan, np.nan],
        }
    )
    cols = "a b" if op in (DerivedOp.ratio, DerivedOp.difference) else "a b c"
    weights = [1.0, 2.0, 3.0] if op is DerivedOp.weighted_sum else None
    d = Derived(name="x", op=op, columns=cols, weights=weights)
    sql = duckdb.connect().execute(f"SELECT {derived_sql(d)} AS x FROM df").df()["x"].to_numpy(dtype=float)
    np.testing.assert_allclose(sql, derived_series(df, d).to_numpy(), equal_nan=True)


def test_levels_from_chunks_with_different_dictionaries() -> None:
    """Parquet row groups may carry different dictionaries: levels and codes must not depend on that."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from credit_scoring.features.aggregate import encode_levels

    chunked = pa.chunked_array(
        [pc.dictionary_encode(pa.array(["b", "a", None])), pc.dictionary_encode(pa.array(["c", "b", "b"]))]
    )
    levels, codes = encode_levels(chunked, max_levels=2)
    assert levels.values == ("b", "a") and levels.has_null
    assert codes.tolist() == [0, 1, 2, -1, 0, 0]  # c is not kept (-1), missing is code k = 2


def test_fixed_levels_keep_the_training_vocabulary() -> None:
    """A batch keeps the training data's levels: absent levels still get their (zero) share, unknown ones none."""
    import pyarrow as pa

    from credit_scoring.features.aggregate import Levels, encode_levels

    fixed = Levels(("x", "y", "z"), has_null=True)
    levels, codes = encode_levels(pa.array(["y", "w", None, "y"]), max_levels=10, fixed=fixed)
    assert levels == fixed
    assert codes.tolist() == [1, -1, 3, 1]  # w is not a training level; missing is code k = 3


def test_vocabulary_round_trip_gives_the_same_columns() -> None:
    from credit_scoring.features.aggregate import vocabulary_from_json, vocabulary_of, vocabulary_to_json

    con = duckdb.connect()
    train = pd.DataFrame(
        {"SK_ID_CURR": [1, 1, 2, 3], "KIND": ["a", "b", "c", None], "AMT": [1.0, 2.0, 3.0, 4.0]}
    )
    batch = pd.DataFrame({"SK_ID_CURR": [7, 8], "KIND": ["a", "d"], "AMT": [1.0, 5.0]})
    spec = Aggregation(name="blk", table="t", by="SK_ID_CURR", prefix="T", numeric={"AMT": "mean"},
                       categorical="KIND", max_levels=10, nan_as_category=True)  # fmt: skip
    con.register("src", train)
    trained, plan = aggregate_duckdb(con, "src", spec, EXCLUDE)
    vocabulary = vocabulary_from_json(vocabulary_to_json(vocabulary_of({"blk": plan})))
    con.register("src", batch)
    learnt, _ = aggregate_duckdb(con, "src", spec, EXCLUDE)
    fixed, _ = aggregate_duckdb(con, "src", spec, EXCLUDE, levels=vocabulary["blk"])
    assert fixed.column_names == trained.column_names  # every training indicator, in the same order
    assert learnt.column_names != trained.column_names  # what a batch learns alone: other columns
    shares = fixed.to_pandas().set_index("SK_ID_CURR")
    assert shares.loc[8, level_column("T_KIND", "a") + "_MEAN"] == 0.0
    assert shares.loc[7, level_column("T_KIND", "a") + "_MEAN"] == 1.0
