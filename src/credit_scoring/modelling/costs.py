"""Business cost of credit decisions and the threshold that minimises it.

A client is refused (decision 1) when the predicted default probability is at or above the threshold.
Cost = false_negative x FN (defaulters accepted) + false_positive x FP (good clients refused). Costs are
reported per applicant (total / rows), so that splits of different sizes compare; `cost_ratio` divides by
the cheaper of the two trivial policies (accept everybody, refuse everybody): 1 means no better than them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from credit_scoring.config.modelling import CostConfig


@dataclass(frozen=True)
class ThresholdChoice:
    """The cost-minimising threshold and the cost per applicant it gives on the data it was chosen on."""

    threshold: float
    cost: float


def decisions(probability: np.ndarray, threshold: float) -> np.ndarray:
    """1 (refuse) where probability >= threshold, else 0 (accept)."""
    return (np.asarray(probability) >= threshold).astype("int8")


def business_cost(y: np.ndarray, decision: np.ndarray, cost: CostConfig) -> float:
    """Cost per applicant of the decisions (1 = refuse) given the true outcomes y (1 = default)."""
    y, decision = np.asarray(y), np.asarray(decision)
    if len(y) == 0:
        raise ValueError("business cost of zero rows")
    fn = np.sum((y == 1) & (decision == 0))
    fp = np.sum((y == 0) & (decision == 1))
    return float(cost.false_negative * fn + cost.false_positive * fp) / len(y)


def row_costs(y: np.ndarray, decision: np.ndarray, cost: CostConfig) -> np.ndarray:
    """The cost of each decision (its mean is `business_cost`): false_negative for an accepted defaulter,
    false_positive for a refused good client, 0 otherwise."""
    y, decision = np.asarray(y), np.asarray(decision)
    fn = (y == 1) & (decision == 0)
    fp = (y == 0) & (decision == 1)
    return cost.false_negative * fn.astype("float64") + cost.false_positive * fp.astype("float64")


def trivial_cost(y: np.ndarray, cost: CostConfig) -> float:
    """Cost per applicant of the better of accepting everybody and refusing everybody."""
    y = np.asarray(y)
    accept_all = cost.false_negative * np.sum(y == 1)
    refuse_all = cost.false_positive * np.sum(y == 0)
    return float(min(accept_all, refuse_all)) / len(y)


def cost_ratio(y: np.ndarray, decision: np.ndarray, cost: CostConfig) -> float:
    """Business cost relative to the better trivial policy (0 perfect, 1 no better than no model)."""
    base = trivial_cost(y, cost)
    return business_cost(y, decision, cost) / base if base > 0 else 0.0


def cost_curve(y: np.ndarray, probability: np.ndarray, cost: CostConfig) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct decision rule: (thresholds, cost per applicant), thresholds decreasing.

    Threshold k is the k-th highest distinct probability (refuse everyone at or above it); a final threshold
    above the highest probability (refuse nobody) comes first. Exact, O(n log n).
    """
    y = np.asarray(y, dtype="float64")
    p = np.asarray(probability, dtype="float64")
    n = len(y)
    if n == 0:
        raise ValueError("cost curve of zero rows")
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(p_sorted) != 0), n - 1]  # last row of each distinct value
    refused_pos = np.cumsum(y_sorted)[last_of_value]
    refused = last_of_value + 1
    total_pos = y.sum()
    fn = total_pos - refused_pos
    fp = refused - refused_pos
    thresholds = np.r_[np.nextafter(p_sorted[0], np.inf), p_sorted[last_of_value]]
    costs = np.r_[cost.false_negative * total_pos, cost.false_negative * fn + cost.false_positive * fp] / n
    return thresholds, costs


def optimal_threshold(y: np.ndarray, probability: np.ndarray, cost: CostConfig) -> ThresholdChoice:
    """The threshold with the lowest business cost on (y, probability).

    The cut lies between the lowest refused probability and the next lower distinct one; the midpoint is
    returned, so that new scores falling between them are treated alike. Ties of cost go to the highest
    threshold (fewest refusals).
    """
    thresholds, costs = cost_curve(y, probability, cost)
    best = int(np.argmin(costs))  # first minimum = highest threshold
    if 0 < best < len(thresholds) - 1:
        threshold = float((thresholds[best] + thresholds[best + 1]) / 2)
    else:  # refuse nobody (above the highest score) or everybody (the lowest score)
        threshold = float(thresholds[best])
    return ThresholdChoice(threshold=threshold, cost=float(costs[best]))


def bayes_threshold(cost: CostConfig) -> float:
    """Optimal threshold for calibrated probabilities: refuse when p x C_FN >= (1 - p) x C_FP."""
    return cost.false_positive / (cost.false_positive + cost.false_negative)


def cost_at_thresholds(
    y: np.ndarray, probability: np.ndarray, thresholds: np.ndarray, cost: CostConfig
) -> np.ndarray:
    """Cost per applicant at each given threshold (for the cost-against-threshold plot)."""
    y = np.asarray(y)
    p = np.sort(np.asarray(probability, dtype="float64"))
    order = np.argsort(np.asarray(probability, dtype="float64"), kind="mergesort")
    y_sorted = y[order].astype("float64")
    pos_below = np.r_[0.0, np.cumsum(y_sorted)]  # positives among the k lowest probabilities
    k = np.searchsorted(p, np.asarray(thresholds, dtype="float64"), side="left")  # accepted rows (p < t)
    fn = pos_below[k]
    fp = (len(p) - k) - (y_sorted.sum() - fn)
    return (cost.false_negative * fn + cost.false_positive * fp) / len(p)
