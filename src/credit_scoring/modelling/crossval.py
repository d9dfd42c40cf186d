"""K-fold cross-validation as the tuning objective (`tuning.cv_folds` > 1), and the refit after it.

The pool is the training and validation splits together, before any resampling or imputation; the test split
never reaches it. Folds are stratified on the target and seeded (`tuning.seed`). Each fold's training rows go
through the configured resampling (and its imputer, fitted on those rows only: the held-out rows are imputed
with it), then one trainer per fold is built once (binned once) and fitted once per trial with early
stopping on its held-out rows. A trial's loss is the mean of the fold losses; its out-of-fold scores are
kept for the calibration and the threshold.

Refit: all pool rows (imputed with the resample stage's imputer when there is one, then resampled), exactly
`refit_rounds` rounds: the mean best round over the folds, scaled by k / (k - 1), the ratio of the refit
size to a fold's training size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from credit_scoring.config.modelling import (
    CostConfig,
    ModelConfig,
    ResamplingConfig,
    TuningObjective,
)
from credit_scoring.modelling.models import MATRIX_DTYPE, FittedModel, Trainer, TrainingData, make_trainer
from credit_scoring.modelling.resampling import WEIGHT_COLUMN, resample
from credit_scoring.modelling.tuning import Evaluated, Objective, validation_loss

ID, TARGET = "_id", "_target"  # column names of the frames handed to the resampler


@dataclass(frozen=True)
class Fold:
    """One fold: its trainer (built once on the resampled training rows) and its held-out rows."""

    trainer: Trainer
    rows: np.ndarray  # positions of the held-out rows in the pool
    X_valid: np.ndarray  # the held-out rows, imputed as the fold's training rows were


def resampled_matrix(
    X: np.ndarray, y: np.ndarray, names: list[str], cfg: ResamplingConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, Any]:
    """(X, y, weights or None, imputer or None) of rows after the configured resampling."""
    frame = pd.DataFrame(X, columns=names)
    frame.insert(0, TARGET, y)
    frame.insert(0, ID, np.arange(len(y), dtype="int64"))
    out = resample(frame, ID, TARGET, cfg)
    weights = out.frame[WEIGHT_COLUMN].to_numpy(dtype="float64")
    X_out = out.frame[names].to_numpy(dtype=MATRIX_DTYPE)
    y_out = out.frame[TARGET].to_numpy(dtype="int64")
    return X_out, y_out, (None if np.all(weights == 1.0) else weights), out.imputer


def fold_rows(y: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Held-out positions of each stratified fold."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [held for _, held in splitter.split(np.zeros(len(y)), y)]


def make_folds(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    folds: int,
    seed: int,
    model: ModelConfig,
    resampling: ResamplingConfig,
    threads: int,
) -> list[Fold]:
    """One trainer per fold, on that fold's resampled training rows."""
    out = []
    for held in fold_rows(y, folds, seed):
        train = np.setdiff1d(np.arange(len(y)), held, assume_unique=True)
        X_tr, y_tr, w_tr, imputer = resampled_matrix(X[train], y[train], names, resampling)
        X_va = X[held] if imputer is None else imputer.transform(X[held]).astype(MATRIX_DTYPE)
        data = TrainingData(X_tr, y_tr, w_tr, X_va, y[held], names)
        out.append(Fold(make_trainer(model, data, threads), held, X_va))
    return out


def refit_rounds(best_rounds: list[int | None], folds: int) -> int | None:
    """Rounds of the refit: the mean best round over folds scaled by k / (k - 1); None without rounds."""
    known = [r for r in best_rounds if r]
    if not known:
        return None
    return max(1, int(round(float(np.mean(known)) * folds / (folds - 1))))


def cv_objective(folds: list[Fold], y: np.ndarray, objective: TuningObjective, cost: CostConfig) -> Objective:
    """The objective of k folds: mean fold loss; the out-of-fold scores and the refit rounds kept."""

    def evaluate(params: dict[str, Any]) -> Evaluated:
        oof = np.empty(len(y), dtype="float64")
        losses, aucs, rounds = [], [], []
        for fold in folds:
            model = fold.trainer.fit(params)
            score = model.predict_score(fold.X_valid)
            oof[fold.rows] = score
            loss, metrics = validation_loss(objective, y[fold.rows], score, cost)
            losses.append(loss)
            aucs.append(metrics["valid_roc_auc"])
            rounds.append(model.rounds)
        _, pooled = validation_loss(objective, y, oof, cost)
        metrics = {
            "valid_roc_auc": float(np.mean(aucs)),
            "valid_roc_auc_std": float(np.std(aucs)),
            "oof_roc_auc": pooled["valid_roc_auc"],
            "valid_min_business_cost": pooled["valid_min_business_cost"],
        }
        return Evaluated(float(np.mean(losses)), metrics, None, refit_rounds(rounds, len(folds)), oof)

    return evaluate


def cv_objective_factory(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    folds: int,
    seed: int,
    model: ModelConfig,
    resampling: ResamplingConfig,
    objective: TuningObjective,
    cost: CostConfig,
    threads: int,
) -> Objective:
    """`cv_objective` over folds built in this process with `threads` threads (a Ray trial's own); bound
    with functools.partial, it is an `ObjectiveFactory`."""
    return cv_objective(make_folds(X, y, names, folds, seed, model, resampling, threads), y, objective, cost)


def refit(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    params: dict[str, Any],
    rounds: int | None,
    model: ModelConfig,
    resampling: ResamplingConfig,
    threads: int,
) -> FittedModel:
    """The model fitted on all pool rows (already imputed when the model needs it) with `rounds` rounds."""
    X_all, y_all, w_all, _ = resampled_matrix(X, y, names, resampling)
    trainer = make_trainer(model, TrainingData(X_all, y_all, w_all, None, None, names), threads)
    return trainer.fit(params, rounds=rounds)
