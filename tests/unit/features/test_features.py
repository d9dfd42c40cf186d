"""Feature building on tiny inline frames: the encoder's scikit-learn contract, domain features, split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from credit_scoring.config import Derived, DerivedOp, SplitConfig, compose_config
from credit_scoring.data.split import make_split
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.features.derived import apply_sentinels
from credit_scoring.features.tables import (
    CategoricalEncoder,
    application_features,
    join_side_features,
    side_rows,
)

TRAIN = pd.DataFrame(
    {
        "KIND": pd.Categorical(["a", "a", "b", None, "a", "c"]),
        "AMT": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    }
)


def test_encoder_follows_sklearn_contract() -> None:
    enc = CategoricalEncoder(max_levels=2)
    assert enc.fit(TRAIN) is enc
    assert enc.levels_ == {"KIND": ["a", "b"]} and enc.nan_columns_ == ["KIND"]
    assert clone(enc).get_params() == enc.get_params()
    assert not hasattr(clone(enc), "levels_")


def test_onehot_unseen_levels_are_zero_and_nan_has_its_column() -> None:
    enc = CategoricalEncoder(max_levels=2).fit(TRAIN)
    new = pd.DataFrame({"KIND": ["b", "zzz", None], "AMT": [1.0, 2.0, 3.0]})
    out = enc.transform(new)
    assert list(out.columns) == ["KIND_a", "KIND_b", "KIND_nan", "AMT"]
    assert out[["KIND_a", "KIND_b", "KIND_nan"]].to_numpy().tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 1]]


def test_ordinal_codes() -> None:
    enc = CategoricalEncoder(method="ordinal", min_frequency=2).fit(TRAIN)
    out = enc.transform(pd.DataFrame({"KIND": ["a", "b", None], "AMT": [0.0, 0.0, 0.0]}))
    assert out["KIND"].tolist()[:2] == [0.0, -1.0] and np.isnan(out["KIND"][2])


def test_levels_come_from_fit_data_only() -> None:
    enc = CategoricalEncoder().fit(TRAIN.iloc[:3])
    assert enc.levels_["KIND"] == ["a", "b"]
    assert "KIND_c" not in enc.transform(TRAIN).columns


def test_domain_features_and_sentinel_flag() -> None:
    cfg = compose_config()
    app = pd.DataFrame(
        {
            "SK_ID_CURR": [1, 2],
            "AMT_CREDIT": [1000.0, 500.0],
            "AMT_INCOME_TOTAL": [100.0, 0.0],
            "AMT_ANNUITY": [50.0, 25.0],
            "AMT_GOODS_PRICE": [900.0, 500.0],
            "CNT_FAM_MEMBERS": [2.0, 1.0],
            "DAYS_EMPLOYED": [-1000, 365243],
            "DAYS_BIRTH": [-10000, -20000],
            "EXT_SOURCE_1": [0.2, np.nan],
            "EXT_SOURCE_2": [0.4, 0.5],
            "EXT_SOURCE_3": [0.6, np.nan],
        }
    )
    before = app.copy()
    out = application_features(app, cfg.dataset, cfg.features)
    pd.testing.assert_frame_equal(app, before)
    assert out["CREDIT_INCOME_RATIO"].tolist()[0] == 10.0 and np.isnan(out["CREDIT_INCOME_RATIO"][1])
    assert out["PAYMENT_RATE"].tolist() == [0.05, 0.05]
    assert np.isnan(out["DAYS_EMPLOYED"][1]) and out["DAYS_EMPLOYED_ANOM"].tolist() == [0, 1]
    assert out["EMPLOYED_AGE_RATIO"][0] == 0.1 and np.isnan(out["EMPLOYED_AGE_RATIO"][1])
    assert out["EXT_SOURCES_MEAN"].tolist() == pytest.approx([0.4, 0.5])
    assert out["EXT_SOURCES_WEIGHTED"][0] == pytest.approx(2 * 0.2 + 0.4 + 3 * 0.6)
    assert np.isnan(out["EXT_SOURCES_PROD"][1])


def test_sentinels_without_flag() -> None:
    from credit_scoring.config import Sentinel

    out = apply_sentinels(pd.DataFrame({"D": [1.0, 365243.0]}), [Sentinel(column="D", value=365243)])
    assert out.columns.tolist() == ["D"] and np.isnan(out["D"][1])


def test_pandas_side_join_is_one_to_one() -> None:
    app = pd.DataFrame({"ID": [1, 2, 3], "X": [0, 0, 0]})
    with pytest.raises(pd.errors.MergeError):
        join_side_features(app, pd.DataFrame({"ID": [1, 1], "S": [1.0, 2.0]}), "ID")
    with pytest.raises(ConfigError, match="repeat"):
        join_side_features(app, pd.DataFrame({"ID": [1], "X": [1]}), "ID")
    assert join_side_features(app, pd.DataFrame({"ID": [2], "S": [5.0]}), "ID")["S"].tolist()[1] == 5.0


def test_side_join_is_left_and_one_to_one() -> None:
    pos, found = side_rows(np.array([3, 1, 7]), np.array([1, 2, 3]))
    assert found.tolist() == [True, True, False] and pos[:2].tolist() == [2, 0]
    with pytest.raises(ConfigError, match="unique and sorted"):
        side_rows(np.array([1]), np.array([1, 1]))
    with pytest.raises(InputDataError, match="one_to_one"):
        side_rows(np.array([1, 1]), np.array([1, 2]))
    pos, found = side_rows(np.array([1, 2]), np.array([], dtype=np.int64))
    assert not found.any()


def test_derived_needs_known_columns() -> None:
    from credit_scoring.features.derived import check_derived

    with pytest.raises(ConfigError, match="NOPE"):
        check_derived(Derived(name="r", op=DerivedOp.ratio, columns="A NOPE"), ["A"], "test")


def test_split_is_stratified_seeded_and_disjoint() -> None:
    n = 2000
    ids = pd.Series(np.arange(n) + 100, name="ID")
    y = pd.Series((np.arange(n) % 10 == 0).astype(int))
    cfg = SplitConfig(valid_size=0.15, test_size=0.15, seed=3, stratify=True)
    a, b = make_split(ids, y, cfg), make_split(ids, y, cfg)
    pd.testing.assert_frame_equal(a, b)
    counts = a["part"].value_counts()
    assert counts["train"] == 1400 and counts["valid"] == 300 and counts["test"] == 300
    rates = (
        pd.Series(y.to_numpy(), index=ids)
        .groupby(a.set_index("ID")["part"].reindex(ids).to_numpy(), observed=True)
        .mean()
    )
    assert (rates.round(3) == 0.1).all()
    c = make_split(ids, y, SplitConfig(valid_size=0.15, test_size=0.15, seed=4, stratify=True))
    assert not c["part"].equals(a["part"])
