"""DeLong AUC interval and tests against published and independently computed answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from credit_scoring.errors import InputDataError
from credit_scoring.stats.delong import auc_ci, paired_test, unpaired_from_summary, unpaired_test

# Hanley & McNeil (1982), Radiology 143, Table 1: 5-point ratings of 58 normal and 51 abnormal images.
HM_NORMAL = [33, 6, 6, 11, 2]
HM_ABNORMAL = [3, 2, 2, 11, 33]


def _hanley_mcneil() -> tuple[np.ndarray, np.ndarray]:
    ratings = np.arange(1, 6)
    score = np.r_[np.repeat(ratings, HM_NORMAL), np.repeat(ratings, HM_ABNORMAL)].astype(float)
    y = np.r_[np.zeros(sum(HM_NORMAL)), np.ones(sum(HM_ABNORMAL))].astype(int)
    return y, score


def _brute_force(y: np.ndarray, scores: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """DeLong (1988) from the definition: psi(x, y) = 1 if x > y, 1/2 if equal; V10, V01 and S = S10/m + S01/n."""
    pos, neg = y == 1, y == 0
    v10, v01 = [], []
    for s in scores:
        x, z = s[pos][:, None], s[neg][None, :]
        psi = (x > z) + 0.5 * (x == z)
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    v10, v01 = np.array(v10), np.array(v01)
    aucs = v10.mean(axis=1)
    s10 = np.atleast_2d(np.cov(v10))
    s01 = np.atleast_2d(np.cov(v01))
    return aucs, s10 / pos.sum() + s01 / neg.sum()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_hanley_mcneil_published_area() -> None:
    y, score = _hanley_mcneil()
    result = auc_ci(y, score)
    assert result.auc == pytest.approx(0.893, abs=5e-4)  # W = 0.893 in the paper
    assert (result.n_positive, result.n_negative) == (51, 58)
    _, cov = _brute_force(y, [score])
    assert result.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-12)
    # the paper's exponential approximation gives SE = 0.032; DeLong's nonparametric SE is close to it
    assert result.se == pytest.approx(0.032, abs=0.002)


def test_auc_matches_sklearn_and_mann_whitney_with_ties(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 300)
    score = np.round(rng.normal(size=300) + 0.8 * y, 1)  # rounded: many ties
    result = auc_ci(y, score)
    assert result.auc == pytest.approx(roc_auc_score(y, score), rel=1e-12)
    u = stats.mannwhitneyu(score[y == 1], score[y == 0]).statistic
    assert result.auc == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), rel=1e-12)


def test_variance_matches_definition_and_null_mann_whitney_variance(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 250)
    score = rng.normal(size=250) + 0.5 * y
    _, cov = _brute_force(y, [score])
    result = auc_ci(y, score, level=0.9)
    assert result.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-10)
    half = stats.norm.ppf(0.95) * result.se
    assert (result.lower, result.upper) == pytest.approx((result.auc - half, result.auc + half))
    # under H0 (score unrelated to y, no ties) the AUC variance is (m + n + 1) / (12 m n) (Mann-Whitney)
    y0 = rng.integers(0, 2, 4000)
    null = auc_ci(y0, rng.normal(size=4000))
    m, n = (y0 == 1).sum(), (y0 == 0).sum()
    assert null.se**2 == pytest.approx((m + n + 1) / (12 * m * n), rel=0.1)


def test_wider_interval_at_higher_level(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 200)
    score = rng.normal(size=200) + y
    narrow, wide = auc_ci(y, score, 0.9), auc_ci(y, score, 0.99)
    assert wide.lower < narrow.lower < narrow.auc < narrow.upper < wide.upper


def test_paired_covariance_matches_definition(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 200)
    a = rng.normal(size=200) + y
    b = a + rng.normal(scale=0.8, size=200)
    aucs, cov = _brute_force(y, [a, b])
    result = paired_test(y, a, b)
    assert (result.auc_a, result.auc_b) == pytest.approx(tuple(aucs))
    assert result.se == pytest.approx(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]), rel=1e-10)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(result.difference / result.se)))


def test_paired_identical_scores_no_difference(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 100)
    a = rng.normal(size=100)
    result = paired_test(y, a, a)
    assert (result.difference, result.z, result.p_value) == (0.0, 0.0, 1.0)


def test_paired_clearly_better_vs_jitter(rng: np.random.Generator) -> None:
    y = rng.integers(0, 2, 2000)
    champion = rng.normal(size=2000) + 0.5 * y
    better = champion + 1.5 * y
    jitter = champion + rng.normal(scale=1e-3, size=2000)
    assert paired_test(y, better, champion).p_value < 1e-6
    assert paired_test(y, jitter, champion).p_value > 0.05
    assert paired_test(y, better, champion).lower > 0


def test_unpaired_variance_is_sum_of_variances(rng: np.random.Generator) -> None:
    y1, y2 = rng.integers(0, 2, 300), rng.integers(0, 2, 200)
    s1, s2 = rng.normal(size=300) + y1, rng.normal(size=200) + 0.2 * y2
    result = unpaired_test(y1, s1, y2, s2)
    first, second = auc_ci(y1, s1), auc_ci(y2, s2)
    assert result.se == pytest.approx(np.hypot(first.se, second.se))
    assert result.difference == pytest.approx(first.auc - second.auc)
    assert unpaired_from_summary(first, second) == result


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(InputDataError, match="one default and one non-default"):
        auc_ci(np.zeros(5), np.arange(5.0))
    with pytest.raises(InputDataError, match="finite"):
        auc_ci(np.array([0, 1]), np.array([0.1, np.nan]))
    with pytest.raises(InputDataError, match="3 scores for 2 labels"):
        paired_test(np.array([0, 1]), np.arange(2.0), np.arange(3.0))
    with pytest.raises(InputDataError, match="level"):
        auc_ci(np.array([0, 1]), np.array([0.1, 0.2]), level=1.5)
