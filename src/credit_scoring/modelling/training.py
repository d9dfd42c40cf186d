"""Fitting one model run: tuning on validation, calibration, the business-cost threshold, the metrics of
validation and test, the curves and the global importance. Pure: matrices and typed config in, results out.

Order of operations on the validation split: early stopping and the Hyperopt objective (raw scores), then
the calibrator is fitted, then the threshold minimising the business cost of calibrated probabilities is
chosen. The test split is only scored, once, at the end.

With `tuning.cv_folds` > 1 (capped by the model's `max_cv_folds`: `config.modelling.trial_folds`) the
"validation" rows are the pool of train + valid: the objective is k-fold cross-validation on it
(credit_scoring.modelling.crossval), the model is refitted on all of it, and the calibrator and threshold are
fitted on the best trial's out-of-fold scores ("valid" metrics: out-of-fold).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.config.modelling import trial_folds
from credit_scoring.errors import ConfigError
from credit_scoring.modelling.calibration import Calibrator
from credit_scoring.modelling.costs import optimal_threshold
from credit_scoring.modelling.crossval import cv_objective, cv_objective_factory, make_folds, refit
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
from credit_scoring.modelling.tuning import (
    Trial,
    TuningResult,
    rebuilt_split_objective,
    search,
    split_objective,
)


@dataclasses.dataclass(frozen=True)
class SplitData:
    """One split as the model sees it: ids, outcomes, float32 matrix (imputed when the model needs it)."""

    ids: np.ndarray
    y: np.ndarray
    X: np.ndarray


@dataclasses.dataclass(frozen=True)
class ModelInputs:
    """What a fit needs: the splits as matrices, the positive weights, the feature names, the oracle; for
    cross-validation the pool (train + valid before resampling and imputation) and the imputer of the
    resample stage (None when the model needs none)."""

    train: SplitData
    valid: SplitData
    test: SplitData
    weights: np.ndarray | None
    feature_names: list[str]
    oracle: pd.DataFrame | None
    pool: SplitData | None = None
    imputer: Any = None


def pool_of(train: SplitData, valid: SplitData) -> SplitData:
    """Train and valid rows together (the cross-validation pool)."""
    return SplitData(
        np.concatenate([train.ids, valid.ids]),
        np.concatenate([train.y, valid.y]),
        np.concatenate([train.X, valid.X]),
    )


@dataclasses.dataclass(frozen=True)
class Fitted:
    """The tuned model, its calibration and threshold, the scores and metrics of valid and test."""

    result: TuningResult
    calibrator: Calibrator
    threshold: float
    probability: dict[str, np.ndarray]
    metrics: dict[str, Any]
    valid: SplitData  # the rows calibrated on: the validation split, or the pool with cross-validation
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


def _tune_split(
    cfg: Config, inputs: ModelInputs, on_trial: Callable[[Trial], None]
) -> tuple[TuningResult, float]:
    """Search on the validation split; and the seconds the trainer took to bin its data."""
    va, start = inputs.valid, time.perf_counter()
    data = TrainingData(inputs.train.X, inputs.train.y, inputs.weights, va.X, va.y, inputs.feature_names)
    trainer = make_trainer(cfg.model, data, cfg.runtime.threads)
    build_seconds = time.perf_counter() - start
    objective = split_objective(trainer, va.X, va.y, cfg.tuning.objective, cfg.evaluation.cost)
    rebuild = functools.partial(make_trainer, cfg.model, data)
    factory = functools.partial(
        rebuilt_split_objective, rebuild, va.X, va.y, cfg.tuning.objective, cfg.evaluation.cost
    )
    result = search(objective, cfg.model.search_space, cfg.tuning, on_trial, cfg.model.params, factory)
    return result, build_seconds


def _tune_cv(
    cfg: Config, inputs: ModelInputs, on_trial: Callable[[Trial], None]
) -> tuple[TuningResult, SplitData]:
    """Search on k folds of the pool, then refit on the whole pool; the pool as the model sees it."""
    pool, names, threads = inputs.pool, inputs.feature_names, cfg.runtime.threads
    if pool is None:
        raise ConfigError("tuning.cv_folds > 1 needs the pool of train + valid rows")
    k = trial_folds(cfg.tuning, cfg.model)
    folds = make_folds(pool.X, pool.y, names, k, cfg.tuning.seed, cfg.model, cfg.resampling, threads)
    tuning, cost = cfg.tuning, cfg.evaluation.cost
    objective = cv_objective(folds, pool.y, tuning.objective, cost)
    factory = functools.partial(
        cv_objective_factory,
        *(
            pool.X,
            pool.y,
            names,
            k,
            tuning.seed,
            cfg.model,
            cfg.resampling,
            tuning.objective,
            cost,
        ),
    )
    result = search(objective, cfg.model.search_space, tuning, on_trial, cfg.model.params, factory)
    del folds
    X = pool.X if inputs.imputer is None else inputs.imputer.transform(pool.X).astype(MATRIX_DTYPE)
    best = result.best
    result.model = refit(X, pool.y, names, best.params, best.rounds, cfg.model, cfg.resampling, threads)
    return result, SplitData(pool.ids, pool.y, X)


def fit_model(cfg: Config, inputs: ModelInputs, on_trial: Callable[[Trial], None]) -> Fitted:
    """Tune on validation (raw scores), calibrate on validation, choose the threshold on calibrated
    validation probabilities, then score the test split once (validation: the out-of-fold scores of the
    pool with cross-validation)."""
    ev, te = cfg.evaluation, inputs.test
    start = time.perf_counter()
    build_seconds = 0.0
    if trial_folds(cfg.tuning, cfg.model) > 1:
        result, va = _tune_cv(cfg, inputs, on_trial)
        raw = {"valid": result.oof_scores}
    else:
        (result, build_seconds), va = _tune_split(cfg, inputs, on_trial), inputs.valid
        raw = {"valid": result.model.predict_score(va.X)}
    raw["test"] = result.model.predict_score(te.X)
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
        "rounds": result.model.rounds or 0,  # the kept model's (the refit's with cross-validation)
        "cv_folds": trial_folds(cfg.tuning, cfg.model),
    }
    timings = {  # logged to MLflow, never written to metrics.json: the same inputs give the same bytes
        "seconds": round(time.perf_counter() - start, 1),
        "build_seconds": round(build_seconds, 2),  # binning of the training data, once per run (split)
        "seconds_per_trial": round(float(np.mean([t.seconds for t in result.trials])), 2),
    }
    return Fitted(result, calibrator, choice.threshold, prob, metrics, va, timings)


def plot_data(cfg: Config, inputs: ModelInputs, fitted: Fitted) -> dict[str, dict[str, pd.DataFrame]]:
    """Curves of validation and test: ROC, precision-recall, calibration; cost against threshold."""
    ev, p = cfg.evaluation, fitted.probability
    splits = (("valid", fitted.valid), ("test", inputs.test))
    return {
        "roc": {n: roc_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "pr": {n: pr_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "calibration": {n: calibration_points(d.y, p[n], ev.calibration_bins) for n, d in splits},
        "cost": {
            "both": cost_points(
                fitted.valid.y, p["valid"], inputs.test.y, p["test"], ev.cost_curve_points, ev.cost
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
