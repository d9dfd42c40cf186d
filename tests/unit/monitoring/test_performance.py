"""Performance figures of a labelled batch on a known case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.modelling import CostConfig
from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.modelling.costs import business_cost
from credit_scoring.monitoring.performance import (
    calibration_table,
    compare_performance,
    decision_cost,
    labelled_batch,
    performance_metrics,
)

Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])
COST = CostConfig(false_negative=10.0, false_positive=1.0)
PERFORMANCE = load_monitoring().performance  # conf/monitoring/default.yaml


def test_known_case() -> None:
    m = performance_metrics(Y, P, 0.5, COST, bins=2)
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of the 4 (defaulter, repayer) pairs ordered right
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert m["cost"] == {"threshold": 0.5, "tp": 1, "fp": 0, "fn": 1, "tn": 2, "cost": 10.0,
                         "cost_per_client": 2.5, "refusal_rate": 0.25}  # fmt: skip
    cal = pd.DataFrame(m["calibration"])
    assert cal["predicted"].tolist() == pytest.approx([0.225, 0.6])
    assert cal["observed"].tolist() == pytest.approx([0.5, 0.5])
    assert m["ece"] == pytest.approx((2 * 0.275 + 2 * 0.1) / 4)


def test_cost_weights_and_threshold() -> None:
    cost = CostConfig(false_negative=5, false_positive=2)
    c = decision_cost(Y, P, threshold=0.3, cost=cost)
    assert (c["tp"], c["fp"], c["fn"], c["tn"]) == (2, 1, 0, 1)
    assert c["cost"] == 2.0 and c["cost_per_client"] == 0.5
    assert c["cost_per_client"] == business_cost(Y, (P >= 0.3).astype(int), cost)  # the pipeline's own cost


def test_calibration_deciles_are_equal_count() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=1000)
    y = (rng.uniform(size=1000) < p).astype(int)
    cal = calibration_table(y, p, 10)
    assert cal["rows"].tolist() == [100] * 10
    assert (np.diff(cal["predicted"]) > 0).all()
    assert (cal["gap"].abs() < 0.2).all()


def test_single_class_batch_has_no_auc_and_bad_input_is_refused() -> None:
    assert performance_metrics(np.zeros(5), np.linspace(0, 1, 5), 0.5, COST, 10)["roc_auc"] is None
    with pytest.raises(ValueError):
        performance_metrics(np.array([0, 2]), np.array([0.1, 0.2]), 0.5, COST, 10)
    with pytest.raises(ValueError):
        performance_metrics(np.array([0, 1]), np.array([0.1, 1.2]), 0.5, COST, 10)


def test_comparison_with_the_test_figures_warns() -> None:
    batch = performance_metrics(Y, P, 0.5, COST, 10)
    reference = {**batch, "roc_auc": 0.85, "cost": {**batch["cost"], "cost_per_client": 1.0}}
    out = compare_performance(batch, reference, PERFORMANCE)
    assert out["delta"]["roc_auc"] == pytest.approx(-0.1)
    assert out["delta"]["cost_per_client"] == pytest.approx(1.5)
    assert len(out["warnings"]) == 2
    assert compare_performance(batch, batch, PERFORMANCE)["warnings"] == []


def test_labelled_batch_joins_predictions_and_oracle() -> None:
    preds = pd.DataFrame({"SK_ID_CURR": [1, 2, 3], "score": [0.1, 0.2, 0.3]})
    oracle = pd.DataFrame({"SK_ID_CURR": [2, 3, 4], "SPLIT": "test", "TARGET": [0, 1, 1]})
    out = labelled_batch(preds, oracle)
    assert out[["SK_ID_CURR", "p", "y"]].values.tolist() == [[2, 0.2, 0], [3, 0.3, 1]]
