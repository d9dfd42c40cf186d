"""Fitting one model run: tuning on validation, calibration, the business-cost threshold, the metrics of
validation and test, the curves and the global importance. Pure: matrices and typed config in, results out.

Order of operations on the validation split: early stopping and the Hyperopt objective (raw scores), then
the calibrator is fitted, then the threshold minimising the business cost of calibrated probabilities is
chosen. The test split is only scored, once, at the end.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.modelling.calibration import Calibrator
from credit_scoring.modelling.costs import optimal_threshold
from credit_scoring.modelling.evaluation import (
    calibration_points,
    classification_metrics,
    cost_points,
    oracle_metrics,
    pr_points,
    roc_points,
)
from credit_scoring.modelling.models import (
    MATRIX_DTYPE,
    FittedModel,
    TrainingData,
    make_trainer,
)
from credit_scoring.modelling.tuning import Trial, TuningResult, tune


@dataclasses.dataclass(frozen=True)
class SplitData:
    """One split as the model sees it: ids, outcomes, float32 matrix (imputed when the model needs it)."""

    ids: np.ndarray
    y: np.ndarray
    X: np.ndarray


@dataclasses.dataclass(frozen=True)
class ModelInputs:
    """What a fit needs: the splits as matrices, the positive weights, the feature names, the oracle."""

    train: SplitData
    valid: SplitData
    test: SplitData
    weights: np.ndarray | None
    feature_names: list[str]
    oracle: pd.DataFrame | None


@dataclasses.dataclass(frozen=True)
class Fitted:
    """The tuned model, its calibration and threshold, the scores and metrics of valid and test."""

    result: TuningResult
    calibrator: Calibrator
    threshold: float
    probability: dict[str, np.ndarray]
    metrics: dict[str, Any]
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # tuning wall times (MLflow, logs)


def split_data(frame: pd.DataFrame, features: list[str], id_col: str, target: str, imputer: Any) -> SplitData:
    X = frame[features].to_numpy(dtype=MATRIX_DTYPE, na_value=np.nan)
    if imputer is not None:
        X = imputer.transform(X).astype(MATRIX_DTYPE)
    return SplitData(frame[id_col].to_numpy(), frame[target].to_numpy(dtype="int64"), X)


def evaluate_split(
    data: SplitData, raw_score: np.ndarray, p: np.ndarray, threshold: float, cfg: Config, oracle: Any
) -> dict[str, Any]:
    """Metrics of one split, with the oracle's ROC AUC and cost on the same rows when there is an oracle."""
    ds, ev = cfg.dataset, cfg.evaluation
    out: dict[str, Any] = classification_metrics(data.y, p, threshold, ev.cost)
    out["brier_uncalibrated"] = float(np.mean((raw_score - data.y) ** 2))
    truth = oracle_metrics(data.ids, data.y, oracle, ds.id, ds.target, ev.oracle_probability, ev.cost)
    if truth is not None:
        out.update(truth)
        out["roc_auc_vs_oracle"] = out["roc_auc"] / truth["oracle_roc_auc"]
    return out


def fit_model(cfg: Config, inputs: ModelInputs, on_trial: Callable[[Trial], None]) -> Fitted:
    """Tune on validation (raw scores), calibrate on validation, choose the threshold on calibrated
    validation probabilities, then score the test split once."""
    ev = cfg.evaluation
    va, te = inputs.valid, inputs.test
    data = TrainingData(inputs.train.X, inputs.train.y, inputs.weights, va.X, va.y, inputs.feature_names)
    start = time.perf_counter()
    trainer = make_trainer(cfg.model, data, cfg.runtime.threads)
    build_seconds = time.perf_counter() - start
    result = tune(trainer, cfg.model.search_space, cfg.tuning, va.X, va.y, ev.cost, on_trial)
    raw = {name: result.model.predict_score(d.X) for name, d in (("valid", va), ("test", te))}
    calibrator = Calibrator(ev.calibration).fit(raw["valid"], va.y)
    prob = {name: calibrator.transform(score) for name, score in raw.items()}
    choice = optimal_threshold(va.y, prob["valid"], ev.cost)
    metrics: dict[str, Any] = {"threshold": choice.threshold}
    for name, d in (("valid", va), ("test", te)):
        metrics[name] = evaluate_split(d, raw[name], prob[name], choice.threshold, cfg, inputs.oracle)
    metrics["tuning"] = {
        "trials": len(result.trials),
        "best_trial": result.best.number,
        "best_valid_loss": result.best.loss,
        "rounds": result.best.rounds or 0,
    }
    timings = {  # logged to MLflow, never written to metrics.json: the same inputs give the same bytes
        "seconds": round(time.perf_counter() - start, 1),
        "build_seconds": round(build_seconds, 2),  # binning of the training data, once per run
        "seconds_per_trial": round(float(np.mean([t.seconds for t in result.trials])), 2),
    }
    return Fitted(result, calibrator, choice.threshold, prob, metrics, timings)


def plot_data(cfg: Config, inputs: ModelInputs, fitted: Fitted) -> dict[str, dict[str, pd.DataFrame]]:
    """Curves of validation and test: ROC, precision-recall, calibration; cost against threshold."""
    ev, p = cfg.evaluation, fitted.probability
    splits = (("valid", inputs.valid), ("test", inputs.test))
    return {
        "roc": {n: roc_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "pr": {n: pr_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "calibration": {n: calibration_points(d.y, p[n], ev.calibration_bins) for n, d in splits},
        "cost": {
            "both": cost_points(
                inputs.valid.y, p["valid"], inputs.test.y, p["test"], ev.cost_curve_points, ev.cost
            )
        },
    }


def importance_of(cfg: Config, inputs: ModelInputs, model: FittedModel) -> pd.Series | None:
    """Global importance on a seeded sample of test rows (SHAP for trees, coefficients for logreg)."""
    ev = cfg.evaluation
    rng = np.random.default_rng(ev.seed)
    rows = np.sort(rng.choice(len(inputs.test.y), size=min(ev.shap_rows, len(inputs.test.y)), replace=False))
    return model.global_importance(inputs.test.X[rows], inputs.feature_names)


def flat_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """{'test_roc_auc': ...}: the nested metrics as MLflow metric names."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update({f"{key}_{k}": float(v) for k, v in value.items() if isinstance(v, (int, float))})
        elif isinstance(value, (int, float)):
            out[key] = float(value)
    return out
