"""The fitted-model protocol of every model kind (credit_scoring.modelling.models): scores, exact SHAP
contributions to the log-odds, global importance. A new model kind gets these tests through `TRAINERS`."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logit

from credit_scoring.config import compose_config
from credit_scoring.config.modelling import ModelKind
from credit_scoring.modelling.models import (
    SMALL_BATCH,
    TRAINERS,
    FittedModel,
    LightGBMModel,
    SklearnModel,
    TrainingData,
    make_trainer,
)

FEATURES = ["a", "b", "c", "d", "e"]


def _rows(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES))).astype("float32")
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) - 0.5 * np.nan_to_num(X[:, 2]) + rng.normal(size=n) > 0.8).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data() -> TrainingData:
    (X, y), (Xv, yv) = _rows(0), _rows(1)
    return TrainingData(X, y, None, Xv, yv, FEATURES)


def _fitted(kind: ModelKind, data: TrainingData) -> FittedModel:
    """A model of `kind` with the configured parameters of conf/model (no tuning)."""
    cfg = compose_config([f"model={kind.value}", "tuning=none"]).model
    return make_trainer(cfg, data, threads=1).fit({})


@pytest.mark.parametrize("kind", list(TRAINERS))
def test_every_model_kind_scores_and_explains_through_the_protocol(
    kind: ModelKind, data: TrainingData
) -> None:
    model = _fitted(kind, data)
    X = data.X_valid
    p = np.asarray(model.predict_score(X), dtype="float64")
    assert p.shape == (len(X),) and ((p > 0) & (p < 1)).all()
    contributions = model.contributions(X)
    assert contributions.shape == X.shape and contributions.dtype == np.float64
    # exact contributions to the log-odds: the base value cancels between two rows
    np.testing.assert_allclose(
        contributions.sum(axis=1) - contributions[0].sum(), logit(p) - logit(p[0]), atol=1e-4
    )
    few = np.asarray(model.predict_score(X[:3]), dtype="float64")  # a small batch: the same numbers
    np.testing.assert_allclose(few, p[:3], rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.contributions(X[:3]), contributions[:3], rtol=0, atol=1e-12)
    importance = model.global_importance(X, FEATURES)
    if kind is ModelKind.dummy:
        assert importance is None and not contributions.any()
    else:
        assert sorted(importance.index) == FEATURES and importance.is_monotonic_decreasing
        assert importance.index[0] in ("a", "c") and (importance >= 0).all()


@pytest.mark.parametrize("kind", [ModelKind.lightgbm, ModelKind.xgboost])
def test_tree_importance_is_the_mean_absolute_contribution(kind: ModelKind, data: TrainingData) -> None:
    model = _fitted(kind, data)
    X = data.X_valid
    mean_abs = np.abs(model.contributions(X)).mean(axis=0)
    importance = model.global_importance(X, FEATURES)
    np.testing.assert_allclose(importance.loc[FEATURES].to_numpy(), mean_abs, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("kind", [ModelKind.lightgbm, ModelKind.xgboost])
def test_tree_importance_equals_shap_tree_explainer(kind: ModelKind, data: TrainingData) -> None:
    """The booster's own TreeSHAP gives shap.TreeExplainer's values (the importance needs no shap)."""
    import shap

    model = _fitted(kind, data)
    X = data.X_valid
    values = np.asarray(shap.TreeExplainer(model.booster).shap_values(X))
    if values.ndim == 3:
        values = values[-1] if values.shape[0] == 2 else values[..., -1]
    importance = model.global_importance(X, FEATURES)
    np.testing.assert_allclose(importance.loc[FEATURES].to_numpy(), np.abs(values).mean(axis=0), atol=1e-5)


def test_lightgbm_contributions_sum_to_the_log_odds() -> None:
    import lightgbm as lgb

    X, y = _rows(0, 400)
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_leaves": 4}, lgb.Dataset(X, y), 20)
    model = LightGBMModel(booster)
    contrib = model.contributions(X[:3])
    full = booster.predict(X[:3], pred_contrib=True)
    raw = booster.predict(X[:3], raw_score=True)
    assert contrib.shape == (3, 5)
    np.testing.assert_allclose(contrib.sum(axis=1) + full[:, -1], raw, atol=1e-6)
    many = np.tile(X, (1 + SMALL_BATCH // len(X), 1))  # above the small batch: all threads, same numbers
    np.testing.assert_allclose(model.predict_score(many)[:3], model.predict_score(X[:3]), rtol=0, atol=0)


def test_logreg_contributions_sum_to_the_log_odds() -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4)).astype("float32")
    X[rng.random(X.shape) < 0.2] = np.nan
    y = (np.nan_to_num(X[:, 1]) > 0).astype(int)
    est = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    model = SklearnModel(ModelKind.logreg, est)
    contrib = model.contributions(X[:5])
    assert contrib.shape == (5, 4)
    np.testing.assert_allclose(
        contrib.sum(axis=1) + est.named_steps["model"].intercept_[0], est.decision_function(X[:5]), atol=1e-6
    )
    importance = model.global_importance(X, ["w", "x", "y", "z"])
    assert importance.index[0] == "x"
    np.testing.assert_allclose(importance["x"], abs(est.named_steps["model"].coef_[0][1]))


def test_dummy_model_has_no_contributions() -> None:
    from sklearn.dummy import DummyClassifier

    X = np.ones((4, 3), dtype="float32")
    model = SklearnModel(ModelKind.dummy, DummyClassifier(strategy="prior").fit(X, [0, 1, 0, 0]))
    assert not model.contributions(np.ones((2, 3))).any()
    assert model.contributions(np.ones((2, 3))).shape == (2, 3)
    assert model.global_importance(X, ["a", "b", "c"]) is None
