"""PSI against hand-computed values, bins and the drift decision (psi.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from credit_scoring.config.monitoring import MonitoringConfig, load_monitoring
from credit_scoring.monitoring.drift import bin_table, compare, drift_table, trace_to_raw
from credit_scoring.monitoring.psi import (
    MISSING_BIN,
    UNSEEN_BIN,
    ReferenceProfile,
    adjust_pvalues,
    chi2_from_counts,
    psi_band,
    psi_from_counts,
)

EPS = 1e-4


MON = load_monitoring()  # conf/monitoring/default.yaml


def _cfg(**psi) -> MonitoringConfig:
    return replace(MON, psi=replace(MON.psi, **psi))


def test_numeric_psi_matches_hand_computation_with_an_empty_bin() -> None:
    # Reference 1..8, 4 bins: linear quantiles at .25/.5/.75 are 2.75, 4.5, 6.25 -> 2 values per bin,
    # and the missing bin is empty in the reference (its share is floored at epsilon).
    ref = pd.DataFrame({"x": np.arange(1, 9, dtype=float)})
    cur = pd.DataFrame({"x": [1, 1, 1, 3, 5, 7, np.nan, np.nan]})
    bins = bin_table(ref, cur, "x", replace(MON.psi, bins=4))
    assert bins["reference"].tolist() == [2, 2, 2, 2, 0]
    assert bins["current"].tolist() == [3, 1, 1, 1, 2]
    assert bins["bin"].iloc[-1] == MISSING_BIN
    expected = (
        (3 / 8 - 2 / 8) * math.log((3 / 8) / (2 / 8))
        + 3 * (1 / 8 - 2 / 8) * math.log((1 / 8) / (2 / 8))
        + (2 / 8 - EPS) * math.log((2 / 8) / EPS)
    )
    table = drift_table(ref, cur, cfg=_cfg(bins=4))
    assert table.loc["x", "psi"] == pytest.approx(expected, rel=1e-12)
    assert table.loc["x", "missing_current"] == pytest.approx(0.25)


def test_edges_are_the_reference_linear_quantiles_right_closed() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=1001)})
    profile = ReferenceProfile.fit(ref, ["x"], replace(MON.psi, bins=10))
    np.testing.assert_allclose(profile.edges[0], np.quantile(ref["x"], np.arange(1, 10) / 10))
    # a value equal to an edge goes to the lower bin
    edge = profile.edges[0, 0]
    (bc,) = profile.count(pd.DataFrame({"x": [edge]}))
    assert bc.current[0].tolist() == [1] + [0] * 10


def test_categorical_psi_with_an_unseen_level() -> None:
    ref = pd.DataFrame({"c": ["a"] * 6 + ["b"] * 4})
    cur = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["c"] * 2})
    bins = bin_table(ref, cur, "c", MON.psi)
    assert bins.set_index("bin")["current"].to_dict() == {
        "a": 5,
        "b": 3,
        "<other>": 0,
        MISSING_BIN: 0,
        UNSEEN_BIN: 2,
    }
    expected = (
        (0.5 - 0.6) * math.log(0.5 / 0.6)
        + (0.3 - 0.4) * math.log(0.3 / 0.4)
        + (0.2 - EPS) * math.log(0.2 / EPS)
    )
    table = drift_table(ref, cur, cfg=MON)
    assert table.loc["c", "kind"] == "categorical"
    assert table.loc["c", "psi"] == pytest.approx(expected, rel=1e-12)


def test_categorical_rare_levels_share_the_other_bin_and_missing_is_a_bin() -> None:
    ref = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3 + ["r1", "r2"] + [None] * 2})
    cur = pd.DataFrame({"c": ["a", "r2", "r2", None]})
    bins = bin_table(ref, cur, "c", replace(MON.psi, max_levels=2)).set_index("bin")
    assert bins["reference"].to_dict() == {"a": 5, "b": 3, "<other>": 2, MISSING_BIN: 2, UNSEEN_BIN: 0}
    assert bins["current"].to_dict() == {"a": 1, "b": 0, "<other>": 2, MISSING_BIN: 1, UNSEEN_BIN: 0}


def test_bins_empty_on_both_sides_cost_nothing() -> None:
    # A 0/1 flag: most quantile edges coincide, so most bins are empty on both sides.
    ref = pd.DataFrame({"f": [0.0] * 80 + [1.0] * 20})
    cur = pd.DataFrame({"f": [0.0] * 70 + [1.0] * 30})
    expected = (0.7 - 0.8) * math.log(0.7 / 0.8) + (0.3 - 0.2) * math.log(0.3 / 0.2)
    assert drift_table(ref, cur, cfg=MON).loc["f", "psi"] == pytest.approx(expected, rel=1e-9)


def test_a_flag_mostly_one_can_drift() -> None:
    # Every decile of a flag that is 1 for 90% of the reference is 1: quantile bins alone would put 0 and 1
    # in the same bin (-inf, 1] and the PSI would be 0 whatever happens. Few distinct values: one bin each.
    ref = pd.DataFrame({"f": [0.0] * 98 + [1.0] * 902, "n": np.tile([0.0, 1.0, 2.0, 5.0], 250)})
    cur = pd.DataFrame({"f": [0.0] * 240 + [1.0] * 760, "n": np.tile([0.0, 0.0, 2.0, 5.0], 250)})
    table = drift_table(ref, cur, cfg=MON)
    expected = (0.24 - 0.098) * math.log(0.24 / 0.098) + (0.76 - 0.902) * math.log(0.76 / 0.902)
    assert table.loc["f", "psi"] == pytest.approx(expected, rel=1e-9)
    counts = bin_table(ref, cur, "n", MON.psi)
    used = counts[counts["reference"] > 0]  # the padding bins between the last two values stay empty
    assert used["bin"].tolist() == ["<= 0", "(0, 1]", "(1, 2]", "> 2"]
    assert used["reference"].tolist() == [250, 250, 250, 250]
    assert used["current"].tolist() == [500, 0, 250, 250]
    assert counts["current"].sum() == 1000


def test_psi_from_counts_is_vectorised_and_symmetric_terms() -> None:
    r = np.array([[10, 10, 0], [5, 5, 10]])
    c = np.array([[10, 10, 0], [10, 5, 5]])
    out = psi_from_counts(r, c, EPS)
    assert out[0] == 0.0
    expected = (0.5 - 0.25) * math.log(2) + (0.25 - 0.5) * math.log(0.5)
    assert out[1] == pytest.approx(expected)


def test_bands() -> None:
    assert psi_band(np.array([0.0, 0.0999, 0.1, 0.2499, 0.25, np.nan]), MON.psi).tolist() == [
        "stable", "stable", "moderate", "moderate", "significant", "n/a",
    ]  # fmt: skip


def test_chi2_matches_scipy_without_small_bins() -> None:
    r = np.array([[100, 200, 300, 50]])
    c = np.array([[30, 60, 120, 10]])
    stat, dof, p = chi2_from_counts(r, c)
    ref_stat, ref_p, ref_dof, _ = chi2_contingency(np.vstack([r[0], c[0]]), correction=False)
    assert stat[0] == pytest.approx(ref_stat)
    assert dof[0] == ref_dof
    assert p[0] == pytest.approx(ref_p)


def test_pvalue_adjustments_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni")[:4], [0.04, 0.16, 0.12, 1.0])
    np.testing.assert_allclose(adjust_pvalues(p, "bh")[:4], [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert np.isnan(adjust_pvalues(p, "bh")[4])


def test_shifted_column_is_flagged_and_identical_copy_is_not() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=20_000), "same": rng.normal(size=20_000)})
    cur = pd.DataFrame({"x": rng.normal(size=4_000) + 0.3, "same": ref["same"].to_numpy()[:4_000]})
    cur_copy = ref.copy()
    table = drift_table(ref, cur, cfg=MON)
    assert bool(table.loc["x", "drifted"])
    assert table.loc["x", "psi"] > 0.05
    assert not bool(table.loc["same", "drifted"])
    copy = drift_table(ref, cur_copy, cfg=MON)
    assert copy["psi"].tolist() == [0.0, 0.0]
    assert not copy["drifted"].any()
    assert (copy["p_value"] == 1.0).all()


def test_same_distribution_sample_is_not_flagged() -> None:
    rng = np.random.default_rng(2)
    n = 5000
    ref = pd.DataFrame({f"x{i}": rng.normal(size=4 * n) for i in range(20)})
    cur = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(20)})
    table = drift_table(ref, cur, cfg=MON)
    assert not table["drifted"].any()
    assert (table["band"] == "stable").all()


def test_score_row_is_tested_on_its_own() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"a": rng.normal(size=3000), "score": rng.beta(1, 9, 3000)})
    cur = pd.DataFrame({"a": rng.normal(size=1000), "score": rng.beta(2, 9, 1000)})
    table = drift_table(ref, cur, score_column="score", cfg=MON)
    assert table.loc["score", "role"] == "score"
    assert table.loc["a", "role"] == "feature"
    assert table.loc["score", "p_adjusted"] == table.loc["score", "p_value"]
    assert bool(table.loc["score", "drifted"])


def test_min_psi_floor_keeps_negligible_significant_shifts_out() -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(size=200_000)})
    cur = pd.DataFrame({"x": rng.normal(size=100_000) + 0.05})  # very significant, PSI ~0.0025
    table = drift_table(ref, cur, cfg=MON)
    assert table.loc["x", "p_adjusted"] < 1e-6
    assert not bool(table.loc["x", "drifted"])
    loose = drift_table(ref, cur, cfg=replace(MON, drift=replace(MON.drift, min_psi=0.0)))
    assert bool(loose.loc["x", "drifted"])


def test_chunking_infinities_and_inputs_untouched() -> None:
    rng = np.random.default_rng(5)
    ref = pd.DataFrame(rng.normal(size=(500, 7)).astype(np.float32), columns=[f"c{i}" for i in range(7)])
    cur = pd.DataFrame(rng.normal(size=(200, 7)).astype(np.float32), columns=ref.columns)
    ref.iloc[0, 0] = np.inf
    before = ref.copy()
    a = drift_table(ref, cur, cfg=_cfg(chunk_columns=2))
    b = drift_table(ref, cur, cfg=_cfg(chunk_columns=64))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ref, before)  # inf counted as missing without writing into the input
    assert a.loc["c0", "missing_reference"] == pytest.approx(1 / 500)


def test_all_missing_reference_column_flags_new_values() -> None:
    ref = pd.DataFrame({"x": [np.nan] * 1000})
    cur = pd.DataFrame({"x": np.r_[np.ones(500), [np.nan] * 500]})
    table = drift_table(ref, cur, cfg=MON)
    assert table.loc["x", "psi"] > 1
    assert bool(table.loc["x", "drifted"])


def test_profile_compares_many_batches_and_missing_columns_are_refused() -> None:
    ref = pd.DataFrame({"x": np.arange(100.0)})
    profile = ReferenceProfile.fit(ref, ["x"], MON.psi)
    t1 = compare(profile, pd.DataFrame({"x": np.arange(100.0)}), MON)
    t2 = compare(profile, pd.DataFrame({"x": np.arange(100.0) + 50}), MON)
    assert t1.loc["x", "psi"] == 0.0 and t2.loc["x", "psi"] > 0.5
    with pytest.raises(KeyError, match="x"):
        compare(profile, pd.DataFrame({"y": [1.0]}), MON)


def test_trace_to_raw_rolls_one_hot_features_up() -> None:
    table = pd.DataFrame(
        {"psi": [0.3, 0.01, 0.02, 0.2], "drifted": [True, False, False, True]},
        index=["NAME_CONTRACT_TYPE_Revolving_loans", "NAME_CONTRACT_TYPE_Cash_loans", "AMT_CREDIT", "BURO_X"],
    )
    traced = trace_to_raw(table, ["NAME_CONTRACT_TYPE", "AMT_CREDIT", "NAME"])
    assert traced.loc["NAME_CONTRACT_TYPE", "psi"] == 0.3
    assert bool(traced.loc["NAME_CONTRACT_TYPE", "drifted"])
    assert not bool(traced.loc["AMT_CREDIT", "drifted"])
    assert "BURO_X" not in traced.index and "NAME" not in traced.index
