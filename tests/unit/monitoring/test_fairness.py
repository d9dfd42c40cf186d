"""Results by group on cases with a known answer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.monitoring.fairness import (
    DAYS_PER_YEAR,
    age_band_labels,
    age_bands,
    fairness_report,
    group_table,
)

FAIRNESS = load_monitoring().fairness  # conf/monitoring/default.yaml


def _case():
    # F: y 1 1 0 0, p .9 .2 .6 .1 -> refused 1 0 1 0: approval .5, default rate .5, TPR 1/2
    # M: y 1 0 0 0, p .8 .3 .2 .1 -> refused 1 0 0 0: approval .75, default rate .25, TPR 1/1
    frame = pd.DataFrame({"CODE_GENDER": ["F"] * 4 + ["M"] * 4, "DAYS_BIRTH": [-365.25 * 30] * 8})
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.2, 0.6, 0.1, 0.8, 0.3, 0.2, 0.1])
    return frame, y, p


def test_group_metrics_and_gaps_by_hand() -> None:
    frame, y, p = _case()
    cfg = replace(FAIRNESS, group_columns=["CODE_GENDER"], max_gap=0.1, min_group_size=1)
    out = fairness_report(frame, p, y, threshold=0.5, cfg=cfg)
    g = out["groups"]["CODE_GENDER"]
    table = pd.DataFrame(g["table"]).set_index("group")
    assert table.loc["F", ["approval_rate", "default_rate", "tpr"]].tolist() == [0.5, 0.5, 0.5]
    assert table.loc["M", ["approval_rate", "default_rate", "tpr"]].tolist() == [0.75, 0.25, 1.0]
    assert g["demographic_parity_difference"] == pytest.approx(0.25)
    assert g["demographic_parity_groups"] == ["M", "F"]
    assert g["equal_opportunity_difference"] == pytest.approx(0.5)
    assert g["equal_opportunity_groups"] == ["M", "F"]
    assert len(out["warnings"]) == 2
    assert "demographic parity difference 0.250" in out["warnings"][0]


def test_no_warning_within_the_bound_and_small_groups_left_out() -> None:
    frame, y, p = _case()
    relaxed = fairness_report(frame, p, y, 0.5, replace(FAIRNESS, group_columns=["CODE_GENDER"], max_gap=0.6,
                                                              min_group_size=1))  # fmt: skip
    assert relaxed["warnings"] == []
    strict_size = fairness_report(
        frame, p, y, 0.5, replace(FAIRNESS, group_columns=["CODE_GENDER"], min_group_size=5)
    )
    g = strict_size["groups"]["CODE_GENDER"]
    assert g["demographic_parity_difference"] is None and sorted(g["excluded_groups"]) == ["F", "M"]


def test_without_labels_only_approval_rates() -> None:
    frame, _, p = _case()
    out = fairness_report(
        frame, p, None, 0.5, replace(FAIRNESS, group_columns=["CODE_GENDER"], min_group_size=1)
    )
    g = out["groups"]["CODE_GENDER"]
    assert g["demographic_parity_difference"] == pytest.approx(0.25)
    assert g["equal_opportunity_difference"] is None


def test_age_bands_from_days_birth() -> None:
    years = np.array([24.99, 25.0, 34.99, 35.0, 54.9, 55.0, 80.0, np.nan])
    bands = age_bands(pd.Series(-years * DAYS_PER_YEAR), [25, 35, 45, 55])
    assert age_band_labels([25, 35, 45, 55]) == ["<25", "25-34", "35-44", "45-54", "55+"]
    assert bands.astype(object).tolist()[:7] == ["<25", "25-34", "25-34", "35-44", "45-54", "55+", "55+"]
    assert pd.isna(bands.iloc[7])


def test_age_band_column_is_computed_and_ordered() -> None:
    frame = pd.DataFrame({"DAYS_BIRTH": -np.array([60, 22, 40, 41]) * DAYS_PER_YEAR})
    out = fairness_report(frame, np.array([0.1, 0.9, 0.2, 0.7]), np.array([0, 1, 0, 1]), 0.5,
                          replace(FAIRNESS, group_columns=["AGE_BAND", "CODE_GENDER"], min_group_size=1))  # fmt: skip
    groups = [r["group"] for r in out["groups"]["AGE_BAND"]["table"]]
    assert groups == ["<25", "35-44", "55+"]
    assert any("CODE_GENDER" in w for w in out["warnings"])  # absent column: reported, not a crash


def test_group_table_missing_group() -> None:
    t = group_table(np.array([1, 0]), np.array([1, 0]), pd.Series(["F", None]))
    assert list(t.index) == ["<missing>", "F"]


def test_gaps_are_fairlearns_own_differences() -> None:
    from fairlearn.metrics import demographic_parity_difference, equal_opportunity_difference

    rng = np.random.default_rng(4)
    n = 600
    frame = pd.DataFrame({"CODE_GENDER": rng.choice(["F", "M", "XNA"], n)})
    y = rng.integers(0, 2, n)
    p = np.clip(rng.normal(0.4, 0.2, n) + 0.1 * (frame["CODE_GENDER"] == "M"), 0, 1)
    cfg = replace(FAIRNESS, group_columns=["CODE_GENDER"], min_group_size=1)
    g = fairness_report(frame, p, y, 0.5, cfg)["groups"]["CODE_GENDER"]
    refused = (p >= 0.5).astype(int)
    groups = frame["CODE_GENDER"]
    assert g["demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y, refused, sensitive_features=groups)
    )
    assert g["equal_opportunity_difference"] == pytest.approx(
        equal_opportunity_difference(y, refused, sensitive_features=groups)
    )
