"""Business cost and the cost-minimising threshold: known answers."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.config.modelling import CostConfig
from credit_scoring.modelling.costs import (
    bayes_threshold,
    business_cost,
    cost_at_thresholds,
    cost_curve,
    decisions,
    optimal_threshold,
    trivial_cost,
)

COST = CostConfig(false_negative=10.0, false_positive=1.0)


def test_business_cost_counts_errors_with_their_weights() -> None:
    y = np.array([1, 1, 0, 0, 0])
    decision = np.array([0, 1, 1, 0, 0])  # one missed default (10), one good client refused (1)
    assert business_cost(y, decision, COST) == pytest.approx(11 / 5)
    assert trivial_cost(y, COST) == pytest.approx(min(2 * 10, 3 * 1) / 5)


def test_decision_refuses_at_the_threshold() -> None:
    assert decisions(np.array([0.1, 0.2, 0.3]), 0.2).tolist() == [0, 1, 1]


def test_threshold_search_finds_the_hand_computed_optimum() -> None:
    # Sorted by score: y = 0 0 1 0 1 1. With FN = 5, FP = 1 the best rule refuses the four highest scores
    # (0.3 and up): one good client refused, no default missed -> cost 1 / 6. Refusing only 0.8 and 0.9
    # misses one default (5 / 6); refusing everybody refuses three good clients (3 / 6).
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    choice = optimal_threshold(y, p, CostConfig(false_negative=5.0, false_positive=1.0))
    assert choice.cost == pytest.approx(1 / 6)
    assert 0.2 < choice.threshold <= 0.3  # between the last accepted and the last refused score
    assert choice.threshold == pytest.approx(0.25)
    assert decisions(p, choice.threshold).tolist() == [0, 0, 1, 1, 1, 1]


def test_threshold_search_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.uniform(size=300), 2)  # ties on purpose
    choice = optimal_threshold(y, p, COST)
    grid = np.r_[np.unique(p), 1.01]
    brute = min(business_cost(y, decisions(p, t), COST) for t in grid)
    assert choice.cost == pytest.approx(brute)
    assert business_cost(y, decisions(p, choice.threshold), COST) == pytest.approx(brute)


def test_threshold_of_calibrated_probabilities_is_the_bayes_threshold() -> None:
    """With true probabilities, refusing when p >= C_FP / (C_FP + C_FN) is optimal: 1/11 by default."""
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    choice = optimal_threshold(y, p, COST)
    assert bayes_threshold(COST) == pytest.approx(1 / 11)
    assert choice.threshold == pytest.approx(1 / 11, abs=0.01)


def test_cost_at_thresholds_agrees_with_the_exact_curve() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    p = rng.uniform(size=500)
    thresholds, costs = cost_curve(y, p, COST)
    assert np.allclose(cost_at_thresholds(y, p, thresholds, COST), costs)
    assert costs[0] == pytest.approx(COST.false_negative * y.mean())  # refuse nobody
    assert costs[-1] == pytest.approx(COST.false_positive * (1 - y.mean()))  # refuse everybody
