"""Calibration tests against hand-computed answers (formulas written out) and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from credit_scoring.errors import InputDataError
from credit_scoring.stats.calibration_tests import (
    binomial_test,
    expected_calibration_error,
    hosmer_lemeshow,
    jeffreys_test,
    spiegelhalter,
)


def test_binomial_known_answer() -> None:
    # P(X >= 3), X ~ Bin(10, 0.1) = 1 - sum_{k<3} C(10,k) 0.1^k 0.9^(10-k) = 0.0701908...
    by_hand = 1 - sum(math.comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(3))
    assert by_hand == pytest.approx(0.0701908, abs=1e-7)
    assert binomial_test(10, 3, 0.1) == pytest.approx(by_hand, rel=1e-12)
    assert binomial_test(10, 0, 0.1) == pytest.approx(1.0)  # no default: nothing against the PD


def test_jeffreys_closed_forms() -> None:
    # N = 1, D = 0: Beta(1/2, 3/2), cdf (2/pi)(arcsin sqrt(x) + sqrt(x(1-x))) (x = sin^2 t substitution)
    x = 0.3
    closed = 2 / math.pi * (math.asin(math.sqrt(x)) + math.sqrt(x * (1 - x)))
    assert jeffreys_test(1, 0, x) == pytest.approx(closed, rel=1e-12)
    # N = 1, D = 1: Beta(3/2, 1/2), cdf = 1 - I_{1-x}(1/2, 3/2)
    y = 1 - x
    closed_d1 = 1 - 2 / math.pi * (math.asin(math.sqrt(y)) + math.sqrt(y * (1 - y)))
    assert jeffreys_test(1, 1, x) == pytest.approx(closed_d1, rel=1e-12)


def test_flags_a_grade_far_above_its_pd_and_passes_one_that_matches() -> None:
    n = np.array([1000, 1000])
    d = np.array([60, 21])  # PD 2%: 60 defaults is 3x the PD, 21 is about what it predicts
    pd = np.array([0.02, 0.02])
    binom, jeff = binomial_test(n, d, pd), jeffreys_test(n, d, pd)
    assert binom[0] < 1e-6 and jeff[0] < 1e-6
    assert binom[1] > 0.3 and jeff[1] > 0.3
    # Jeffreys and exact binomial agree closely on large grades
    assert jeff[1] == pytest.approx(binom[1], abs=0.05)


def test_hosmer_lemeshow_known_answer() -> None:
    # groups (N, D, PD): (100, 5, 0.05) adds 0, (100, 20, 0.1) adds (20 - 10)^2 / (100 * 0.1 * 0.9) = 100/9
    result = hosmer_lemeshow(np.array([100, 100]), np.array([5, 20]), np.array([0.05, 0.1]))
    assert result.statistic == pytest.approx(100 / 9)
    assert result.dof == 2
    assert result.p_value == pytest.approx(math.exp(-100 / 9 / 2))  # chi-square(2) survival = exp(-x/2)
    in_sample = hosmer_lemeshow(np.array([100, 100, 50]), np.array([5, 20, 0]), np.array([0.05, 0.1, 0.0]))
    assert in_sample.dof == 2  # the PD-0 group is left out


def test_spiegelhalter_known_answer() -> None:
    y, p = np.array([1, 0]), np.array([0.2, 0.2])
    # numerator (0.8)(0.6) + (-0.2)(0.6) = 0.36; variance 2 (0.6^2)(0.2)(0.8) = 0.1152
    z = 0.36 / math.sqrt(0.1152)
    result = spiegelhalter(y, p)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))


def test_spiegelhalter_calibrated_vs_not() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.3, 20000)
    y = rng.uniform(size=p.size) < p
    assert spiegelhalter(y, p).p_value > 0.01
    assert spiegelhalter(y, p / 2).p_value < 1e-6


def test_expected_calibration_error_by_hand() -> None:
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.55, 0.65, 0.95])
    # 2 equal-count bins of the ranks 1..5 (cut at 3): {.05, .15, .55} rate 1/3 mean .25; {.65, .95} rate 1 mean .8
    expected = 3 / 5 * abs(1 / 3 - 0.25) + 2 / 5 * abs(1 - 0.8)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(expected)


def test_bad_counts_are_clear_errors() -> None:
    with pytest.raises(InputDataError, match="between 0 and the count"):
        binomial_test(5, 6, 0.1)
    with pytest.raises(InputDataError, match="probabilities"):
        jeffreys_test(5, 1, 1.5)
    with pytest.raises(InputDataError, match="labels"):
        spiegelhalter(np.array([1, 0]), np.array([0.1]))
