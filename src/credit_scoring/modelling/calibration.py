"""Probability calibration, fitted on the validation split after training.

Resampling and class weights move the predicted probabilities away from the real default rate; a
calibrator maps the model's score back to a probability. Sigmoid (Platt scaling on the score's logit) is
monotone, so ranking metrics (ROC AUC) do not change; isotonic regression is more flexible but creates ties.
"""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from credit_scoring.config.modelling import CalibrationMethod

EPSILON = 1e-7  # scores are clipped to [EPSILON, 1 - EPSILON] before their logit is taken


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


class Calibrator:
    """Maps raw model scores in [0, 1] to calibrated probabilities; `fit` on validation data."""

    def __init__(self, method: CalibrationMethod) -> None:
        self.method = method

    def fit(self, score: np.ndarray, y: np.ndarray) -> Calibrator:
        y = np.asarray(y)
        if self.method is CalibrationMethod.sigmoid:
            # no penalty: two parameters fitted on thousands of rows
            self.model_ = LogisticRegression(C=np.inf, solver="lbfgs").fit(logit(score)[:, None], y)
        elif self.method is CalibrationMethod.isotonic:
            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, y)
        else:
            self.model_ = None
        return self

    def transform(self, score: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (float64) of raw scores."""
        score = np.asarray(score, dtype="float64")
        if self.method is CalibrationMethod.sigmoid:
            a, b = float(self.model_.coef_[0, 0]), float(self.model_.intercept_[0])
            return 1.0 / (1.0 + np.exp(-(a * logit(score) + b)))
        if self.method is CalibrationMethod.isotonic:
            return self.model_.predict(score)
        return score

    def describe(self) -> dict[str, float | str]:
        """Parameters worth logging."""
        if self.method is CalibrationMethod.sigmoid:
            return {
                "method": "sigmoid",
                "slope": float(self.model_.coef_[0, 0]),
                "intercept": float(self.model_.intercept_[0]),
            }
        return {"method": self.method.value}
