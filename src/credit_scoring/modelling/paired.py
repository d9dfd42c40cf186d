"""Paired comparison of two models on the same test rows: bootstrap intervals of the difference in business
cost per applicant and in ROC AUC (pure, vectorised, seeded).

Both models score the same rows, so each resample draws the same row indices for both (a paired bootstrap):
the noise shared by the two models cancels, and what is left is the uncertainty of their difference. The
interval is the percentile interval at the configured confidence (`registry.confidence`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

CHUNK_CELLS = 2_000_000  # resampled values held in memory at once (rows x resamples per chunk)


@dataclass(frozen=True)
class Interval:
    """A difference (challenger - champion), its percentile interval and the confidence level."""

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
    method: str = "paired bootstrap"


def _index_chunks(n: int, resamples: int, rng: np.random.Generator):
    """Row indices of every resample, `CHUNK_CELLS` values at a time (k resamples x n rows each)."""
    step = max(1, CHUNK_CELLS // max(n, 1))
    for start in range(0, resamples, step):
        yield rng.integers(0, n, size=(min(step, resamples - start), n))


def _auc_rows(y: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of (resamples x n) labels and scores (Mann-Whitney, ties count one half)."""
    ranks = rankdata(score, axis=1)
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    u = (ranks * y).sum(axis=1) - positives * (positives + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return u / (positives * negatives)  # NaN for a resample with one class (dropped by nanquantile)


def _interval(estimate: float, draws: np.ndarray, confidence: float) -> Interval:
    alpha = 1.0 - confidence
    low, high = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2])
    return Interval(float(estimate), float(low), float(high), confidence)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of one sample (the same estimator as the resamples')."""
    return float(_auc_rows(np.asarray(y)[None, :], np.asarray(score)[None, :])[0])


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
    """Intervals of (challenger - champion) business cost per applicant and ROC AUC on the same rows.

    cost_*: each row's cost under the model's decision (`costs.row_costs`); score_*: the predicted
    probabilities; y: the outcomes (1 = default). Deterministic for a given seed.
    """
    y = np.asarray(y, dtype="int64")
    diff = np.asarray(cost_challenger, dtype="float64") - np.asarray(cost_champion, dtype="float64")
    a, b = np.asarray(score_challenger, dtype="float64"), np.asarray(score_champion, dtype="float64")
    if not len(y) == len(diff) == len(a) == len(b) or len(y) == 0:
        raise ValueError("paired bootstrap: the two models must score the same, non-empty rows")
    rng = np.random.default_rng(seed)
    cost_draws, auc_draws = [], []
    for idx in _index_chunks(len(y), resamples, rng):
        cost_draws.append(diff[idx].mean(axis=1))
        yy = y[idx]
        auc_draws.append(_auc_rows(yy, a[idx]) - _auc_rows(yy, b[idx]))
    return Comparison(
        cost_difference=_interval(diff.mean(), np.concatenate(cost_draws), confidence),
        auc_difference=_interval(auc(y, a) - auc(y, b), np.concatenate(auc_draws), confidence),
        resamples=resamples,
    )
