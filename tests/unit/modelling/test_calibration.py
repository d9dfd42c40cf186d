"""Calibration after resampling: probabilities brought back to the observed rate, ranking unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from credit_scoring.config.modelling import CalibrationMethod
from credit_scoring.modelling.calibration import Calibrator


def distorted(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """True probabilities around 8 %, and the inflated scores an oversampled model would give."""
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) - 3)))
    y = (rng.uniform(size=n) < p).astype(int)
    score = p / (p + (1 - p) * 0.25)  # the odds of a model trained with 4x more positives
    return score, y


@pytest.mark.parametrize("method", [CalibrationMethod.sigmoid, CalibrationMethod.isotonic])
def test_calibration_fixes_inflated_probabilities(method: CalibrationMethod) -> None:
    s_fit, y_fit = distorted(20_000, 0)
    s_new, y_new = distorted(20_000, 1)
    cal = Calibrator(method).fit(s_fit, y_fit)
    p = cal.transform(s_new)
    assert abs(p.mean() - y_new.mean()) < 0.01 < abs(s_new.mean() - y_new.mean())
    assert brier_score_loss(y_new, p) < brier_score_loss(y_new, s_new)
    if method is CalibrationMethod.sigmoid:  # monotone: the ranking is unchanged
        assert roc_auc_score(y_new, p) == pytest.approx(roc_auc_score(y_new, s_new))


def test_no_calibration_is_the_identity() -> None:
    s, y = distorted(100, 0)
    assert np.array_equal(Calibrator(CalibrationMethod.none).fit(s, y).transform(s), s)
