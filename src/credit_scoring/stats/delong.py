"""ROC AUC with DeLong's variance (fast midrank algorithm of Sun & Xu, 2014).

DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or more correlated ROC curves";
Sun & Xu (2014), "Fast implementation of DeLong's algorithm", IEEE Signal Processing Letters 21(11).
Ties count one half, as in sklearn's ``roc_auc_score`` and the Mann-Whitney U statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from credit_scoring.errors import InputDataError


@dataclass(frozen=True)
class AucInterval:
    """One AUC, its DeLong standard error and a two-sided normal interval (clipped to [0, 1])."""

    auc: float
    se: float
    lower: float
    upper: float
    level: float
    n_positive: int
    n_negative: int


@dataclass(frozen=True)
class AucComparison:
    """AUC of ``a`` minus AUC of ``b``: the difference, its standard error, z, two-sided p and interval."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    z: float
    p_value: float
    lower: float
    upper: float
    level: float


def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of ``x``, ties sharing the mean of their ranks (O(n log n))."""
    return stats.rankdata(x, method="average")


def _validate(y: np.ndarray, scores: list[np.ndarray]) -> np.ndarray:
    """The boolean label vector, after checking shapes, labels and finiteness."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise InputDataError(f"delong: labels must be one-dimensional, got shape {y.shape}")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise InputDataError(f"delong: labels must be 0/1, got values {sorted(values)[:5]}")
    positive = y.astype(bool)
    if positive.all() or not positive.any():
        raise InputDataError("delong: the AUC needs at least one default and one non-default")
    for score in scores:
        if score.shape != y.shape:
            raise InputDataError(f"delong: {len(score)} scores for {len(y)} labels")
        if not np.isfinite(score).all():
            raise InputDataError("delong: scores must be finite (no NaN or inf)")
    return positive


def _components(positive: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components V10 (per positive) and V01 (per negative)."""
    pos, neg = score[positive], score[~positive]
    m, n = len(pos), len(neg)
    rank_all = _midranks(np.concatenate([pos, neg]))
    rank_pos, rank_neg = _midranks(pos), _midranks(neg)
    v10 = (rank_all[:m] - rank_pos) / n  # share of negatives below each positive (ties 1/2)
    v01 = 1.0 - (rank_all[m:] - rank_neg) / m  # share of positives above each negative
    auc = float(v10.mean())
    return auc, v10, v01


def _covariance(positive: np.ndarray, scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of several scores on the same rows and their DeLong covariance matrix."""
    parts = [_components(positive, s) for s in scores]
    aucs = np.array([p[0] for p in parts])
    v10 = np.vstack([p[1] for p in parts])
    v01 = np.vstack([p[2] for p in parts])
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.atleast_2d(np.cov(v10, ddof=1)) if m > 1 else np.zeros((len(scores), len(scores)))
    s01 = np.atleast_2d(np.cov(v01, ddof=1)) if n > 1 else np.zeros((len(scores), len(scores)))
    return aucs, s10 / m + s01 / n


def _z_quantile(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise InputDataError(f"delong: confidence level must be in (0, 1), got {level}")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def auc_ci(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> AucInterval:
    """The ROC AUC of ``score`` for labels ``y`` (1 = default) with its DeLong interval at ``level``."""
    score = np.asarray(score, dtype=float)
    positive = _validate(y, [score])
    aucs, cov = _covariance(positive, [score])
    auc, se = float(aucs[0]), float(np.sqrt(max(cov[0, 0], 0.0)))
    half = _z_quantile(level) * se
    return AucInterval(
        auc=auc,
        se=se,
        lower=max(0.0, auc - half),
        upper=min(1.0, auc + half),
        level=level,
        n_positive=int(positive.sum()),
        n_negative=int((~positive).sum()),
    )


def _comparison(auc_a: float, auc_b: float, variance: float, level: float) -> AucComparison:
    difference = auc_a - auc_b
    se = float(np.sqrt(max(variance, 0.0)))
    if se > 0:
        z = difference / se
        p_value = float(2.0 * stats.norm.sf(abs(z)))
    else:  # identical scores (or degenerate): no evidence of a difference
        z, p_value = 0.0, 1.0
    half = _z_quantile(level) * se
    return AucComparison(
        auc_a=auc_a,
        auc_b=auc_b,
        difference=difference,
        se=se,
        z=float(z),
        p_value=p_value,
        lower=difference - half,
        upper=difference + half,
        level=level,
    )


def paired_test(
    y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, level: float = 0.95
) -> AucComparison:
    """DeLong's test of two correlated AUCs (two scores of the same rows): AUC(a) - AUC(b)."""
    score_a = np.asarray(score_a, dtype=float)
    score_b = np.asarray(score_b, dtype=float)
    positive = _validate(y, [score_a, score_b])
    aucs, cov = _covariance(positive, [score_a, score_b])
    variance = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    return _comparison(float(aucs[0]), float(aucs[1]), variance, level)


def unpaired_test(
    y_a: np.ndarray, score_a: np.ndarray, y_b: np.ndarray, score_b: np.ndarray, level: float = 0.95
) -> AucComparison:
    """Test of two independent AUCs (different rows, e.g. current batch vs development): AUC(a) - AUC(b)."""
    first = auc_ci(y_a, score_a, level)
    second = auc_ci(y_b, score_b, level)
    return _comparison(first.auc, second.auc, first.se**2 + second.se**2, level)


def unpaired_from_summary(current: AucInterval, reference: AucInterval, level: float = 0.95) -> AucComparison:
    """The same unpaired test from two stored intervals (when the development rows are not at hand)."""
    return _comparison(current.auc, reference.auc, current.se**2 + reference.se**2, level)
