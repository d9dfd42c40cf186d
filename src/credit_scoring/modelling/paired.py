"""Paired comparison of two models on the same test rows: the difference in business cost per applicant by
a paired bootstrap (pure, vectorised, seeded), the difference in ROC AUC by DeLong's paired test
(`credit_scoring.stats.delong`).

Both models score the same rows, so each resample draws the same rows for both (a paired bootstrap: the
per-row differences are resampled), the noise shared by the two models cancels, and what is left is the
uncertainty of their difference. The cost
interval is the percentile interval at the configured confidence (`registry.confidence`), the AUC interval
DeLong's normal interval at the same level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from credit_scoring.stats.delong import paired_test


@dataclass(frozen=True)
class Interval:
    """A difference (challenger - champion), its interval (bootstrap percentile or DeLong) and level."""

    estimate: float
    low: float
    high: float
    confidence: float


@dataclass(frozen=True)
class Comparison:
    """Challenger minus champion on the same rows: business cost per applicant and ROC AUC."""

    cost_difference: Interval
    auc_difference: Interval
    resamples: int
    auc_p_value: float  # DeLong's two-sided p-value of the AUC difference
    method: str = "paired bootstrap of the cost, DeLong's test of the ROC AUC"


def bootstrap_means(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The mean of each of `resamples` bootstrap resamples of `values` (n draws with replacement).

    Drawing n rows with replacement and averaging depends only on how many times each distinct value is
    drawn: a multinomial over the distinct values with their observed shares. Per-row costs take a handful of
    values (0, the two error costs and their differences), so this is exact and O(resamples x distinct).
    """
    distinct, counts = np.unique(values, return_counts=True)
    n = len(values)
    return rng.multinomial(n, counts / n, size=resamples) @ distinct / n


def _interval(estimate: float, draws: np.ndarray, confidence: float) -> Interval:
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return Interval(float(estimate), float(low), float(high), confidence)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney: ties count one half)."""
    y, ranks = np.asarray(y) == 1, rankdata(np.asarray(score, dtype="float64"))
    positives, negatives = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def paired_bootstrap(
    y: np.ndarray,
    cost_challenger: np.ndarray,
    cost_champion: np.ndarray,
    score_challenger: np.ndarray,
    score_champion: np.ndarray,
    *,
    confidence: float,
    resamples: int,
    seed: int,
) -> Comparison:
    """Intervals of (challenger - champion) business cost per applicant (paired bootstrap) and ROC AUC
    (DeLong) on the same rows.

    cost_*: each row's cost under the model's decision (`costs.row_costs`); score_*: the predicted
    probabilities; y: the outcomes (1 = default). Deterministic for a given seed.
    """
    y = np.asarray(y, dtype="int64")
    diff = np.asarray(cost_challenger, dtype="float64") - np.asarray(cost_champion, dtype="float64")
    a, b = np.asarray(score_challenger, dtype="float64"), np.asarray(score_champion, dtype="float64")
    if not len(y) == len(diff) == len(a) == len(b) or len(y) == 0:
        raise ValueError("paired bootstrap: the two models must score the same, non-empty rows")
    rng = np.random.default_rng(seed)
    cost_draws = bootstrap_means(diff, resamples, rng)
    delong = paired_test(y, a, b, level=confidence)
    return Comparison(
        cost_difference=_interval(diff.mean(), cost_draws, confidence),
        auc_difference=Interval(delong.difference, delong.lower, delong.upper, confidence),
        resamples=resamples,
        auc_p_value=delong.p_value,
    )
