"""Calibration tests of predicted default probabilities (PD) against observed defaults.

* `binomial_test`: one-sided exact binomial test of a grade, H0 "the PD is right", alternative "the PD is
  too low": p = P(X >= D | N, PD), X ~ Binomial(N, PD) (BCBS Working Paper 14, 2005, section 5).
* `jeffreys_test`: the ECB's test of a grade (ECB, "Instructions for reporting the validation results of
  internal models", 2019, section 2.5.3.1): p = F(PD), F the cdf of the Jeffreys posterior of the default
  rate, Beta(D + 1/2, N - D + 1/2). A small p: the observed rate is far above the PD.
* `hosmer_lemeshow`: sum over groups of (D - N PD)^2 / (N PD (1 - PD)), chi-square with `dof` degrees of
  freedom (default: the number of groups, the out-of-sample form of BCBS WP14; k - 2 in sample).
* `spiegelhalter`: z = sum (y - p)(1 - 2p) / sqrt(sum (1 - 2p)^2 p (1 - p)), standard normal under H0
  (Spiegelhalter, 1986, Statistics in Medicine 5), two-sided p.
* `expected_calibration_error`: sum over bins of (n_b / n) |observed rate - mean PD| (equal-count bins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas
from scipy import stats

from credit_scoring.errors import InputDataError


@dataclass(frozen=True)
class ChiSquareResult:
    statistic: float
    dof: int
    p_value: float


@dataclass(frozen=True)
class ZResult:
    z: float
    p_value: float


def _check_counts(n: np.ndarray, d: np.ndarray, pd_: np.ndarray, what: str) -> None:
    if np.any(n < 0) or np.any(d < 0) or np.any(d > n):
        raise InputDataError(f"{what}: defaults must be between 0 and the count of each grade")
    if np.any((pd_ < 0) | (pd_ > 1)) or not np.isfinite(pd_).all():
        raise InputDataError(f"{what}: PDs must be finite probabilities in [0, 1]")


def binomial_test(n: int | np.ndarray, defaults: int | np.ndarray, pd: float | np.ndarray) -> np.ndarray:
    """One-sided p-value P(X >= defaults), X ~ Binomial(n, pd), per grade (vectorised)."""
    n_, d_, p_ = np.asarray(n), np.asarray(defaults), np.asarray(pd, dtype=float)
    _check_counts(n_, d_, p_, "binomial test")
    return np.asarray(stats.binom.sf(d_ - 1, n_, p_), dtype=float)


def jeffreys_test(n: int | np.ndarray, defaults: int | np.ndarray, pd: float | np.ndarray) -> np.ndarray:
    """One-sided p-value: the Beta(D + 1/2, N - D + 1/2) cdf at the grade's PD (vectorised)."""
    n_, d_, p_ = np.asarray(n), np.asarray(defaults), np.asarray(pd, dtype=float)
    _check_counts(n_, d_, p_, "Jeffreys test")
    return np.asarray(stats.beta.cdf(p_, d_ + 0.5, n_ - d_ + 0.5), dtype=float)


def hosmer_lemeshow(
    n: np.ndarray, defaults: np.ndarray, pd: np.ndarray, dof: int | None = None
) -> ChiSquareResult:
    """Hosmer-Lemeshow over groups (empty groups and PDs of 0 or 1 left out); dof default: the groups kept."""
    n_, d_, p_ = np.asarray(n, float), np.asarray(defaults, float), np.asarray(pd, float)
    _check_counts(n_, d_, p_, "Hosmer-Lemeshow")
    keep = (n_ > 0) & (p_ > 0) & (p_ < 1)
    n_, d_, p_ = n_[keep], d_[keep], p_[keep]
    statistic = float(np.sum((d_ - n_ * p_) ** 2 / (n_ * p_ * (1 - p_))))
    k = int(keep.sum()) if dof is None else dof
    if k < 1:
        raise InputDataError("Hosmer-Lemeshow: no group with rows and a PD strictly between 0 and 1")
    return ChiSquareResult(statistic, k, float(stats.chi2.sf(statistic, k)))


def spiegelhalter(y: np.ndarray, pd: np.ndarray) -> ZResult:
    """Spiegelhalter's z of labels `y` (1 = default) against PDs `pd`, two-sided normal p-value."""
    y_, p_ = np.asarray(y, float), np.asarray(pd, float)
    if y_.shape != p_.shape or len(y_) == 0:
        raise InputDataError(f"Spiegelhalter: {len(p_)} PDs for {len(y_)} labels")
    _check_counts(np.ones_like(y_), y_, p_, "Spiegelhalter")
    variance = float(np.sum((1 - 2 * p_) ** 2 * p_ * (1 - p_)))
    if variance <= 0:
        return ZResult(0.0, 1.0)
    z = float(np.sum((y_ - p_) * (1 - 2 * p_)) / np.sqrt(variance))
    return ZResult(z, float(2 * stats.norm.sf(abs(z))))


def expected_calibration_error(y: np.ndarray, pd: np.ndarray, bins: int = 10) -> float:
    """ECE over `bins` equal-count PD bins (ranks, ties by order: the project's calibration bins of
    `modelling.evaluation.calibration_points`): sum over bins of (n_b / n) |observed rate_b - mean PD_b|."""
    y_, p_ = np.asarray(y, float), np.asarray(pd, float)
    if y_.shape != p_.shape or len(y_) == 0:
        raise InputDataError(f"ECE: {len(p_)} PDs for {len(y_)} labels")
    if bins < 1:
        raise InputDataError(f"ECE: bins must be >= 1, got {bins}")
    ranks = pandas.Series(p_).rank(method="first")
    which = pandas.qcut(ranks, q=min(bins, len(p_)), labels=False).to_numpy()
    gap = np.abs(np.bincount(which, y_) - np.bincount(which, p_))  # n_b * |rate_b - mean PD_b|
    return float(gap.sum() / len(y_))
