"""K-fold cross-validation objective (credit_scoring.modelling.crossval): folds, per-fold resampling and
imputation, out-of-fold scores, refit rounds, and the refit with a fixed number of rounds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from credit_scoring.config import compose_config
from credit_scoring.config.modelling import CostConfig, ResamplingConfig, ResamplingMethod, TuningObjective
from credit_scoring.modelling.crossval import (
    cv_objective,
    fold_rows,
    make_folds,
    refit,
    refit_rounds,
    resampled_matrix,
)
from credit_scoring.modelling.models import TrainingData, make_trainer

NAMES = ["a", "b", "c", "d"]
COST = CostConfig(false_negative=10.0, false_positive=1.0)


def _rows(n: int = 800, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(NAMES))).astype("float32")
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) > 1.0).astype("int64")
    X[rng.random(X.shape) < 0.1] = np.nan
    return X, y


def _model(kind: str = "lightgbm"):
    return compose_config([f"model={kind}", "tuning=none"]).model


def test_folds_are_stratified_disjoint_and_cover_every_row() -> None:
    _, y = _rows()
    held = fold_rows(y, 4, seed=1)
    every = np.concatenate(held)
    assert sorted(every.tolist()) == list(range(len(y)))
    rates = [y[h].mean() for h in held]
    assert max(rates) - min(rates) < 0.02


def test_refit_rounds_scale_the_mean_best_round_to_the_refit_size() -> None:
    assert refit_rounds([100, 200, 300, 400, 500], 5) == 375
    assert refit_rounds([None, None], 2) is None


def test_per_fold_resampling_imputes_and_rebalances_only_the_fold_rows() -> None:
    X, y = _rows()
    smote = ResamplingConfig(name="smote", method=ResamplingMethod.smote, sampling_strategy=0.5, seed=0)
    X_out, y_out, w, imputer = resampled_matrix(X, y, NAMES, smote)
    assert imputer is not None and not np.isnan(X_out).any()
    assert len(y_out) > len(y) and y_out.sum() / (y_out == 0).sum() == pytest.approx(0.5, abs=0.01)
    assert w is None
    weighted = ResamplingConfig(name="cw", method=ResamplingMethod.class_weight, sampling_strategy=1.0)
    X_w, y_w, w, imputer = resampled_matrix(X, y, NAMES, weighted)
    assert imputer is None and w is not None and np.isnan(X_w).any()
    assert w[y_w == 1].sum() == pytest.approx((y_w == 0).sum())


def test_cv_objective_scores_each_row_out_of_fold_and_averages_the_fold_losses() -> None:
    X, y = _rows()
    none = ResamplingConfig(name="none")
    folds = make_folds(X, y, NAMES, 4, 0, _model(), none, threads=1)
    out = cv_objective(folds, y, TuningObjective.roc_auc, COST)({})
    assert out.model is None and out.oof_scores.shape == (len(y),)
    fold_aucs = [roc_auc_score(y[f.rows], out.oof_scores[f.rows]) for f in folds]
    assert out.loss == pytest.approx(1 - np.mean(fold_aucs))
    assert out.metrics["oof_roc_auc"] == pytest.approx(roc_auc_score(y, out.oof_scores))
    # each held-out row is scored by the model of the folds that did not see it: not the refit
    model = refit(X, y, NAMES, {}, out.rounds, _model(), none, threads=1)
    assert model.rounds == out.rounds
    assert not np.allclose(model.predict_score(X), out.oof_scores)


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost"])
def test_boosters_train_exactly_the_given_rounds_without_a_validation_split(kind: str) -> None:
    X, y = _rows()
    trainer = make_trainer(_model(kind), TrainingData(X, y, None, None, None, NAMES), threads=1)
    assert trainer.fit({}, rounds=37).rounds == 37
