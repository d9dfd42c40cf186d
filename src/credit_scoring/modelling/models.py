"""Model factory: one trainer per model kind of conf/model, fitted models that score numpy rows.

A trainer is built once per run from the training and validation matrices (the boosters bin them once:
lightgbm.Dataset / xgboost.QuantileDMatrix) and then fitted once per Hyperopt trial with that trial's
parameters. Boosters train up to `max_rounds` rounds with early stopping on the validation split and are
cut at their best round, so that predictions and SHAP values use the same trees; `fit(params, rounds=n)`
trains exactly n rounds without a validation split (the refit after cross-validation: `X_valid` None).

Every fitted model (`FittedModel`) scores float32 rows (a numpy matrix in the training column order; no
pandas on the scoring path, a one-row call stays cheap) and explains them, whatever its kind:
- `predict_score(X)`: the raw probability of default;
- `contributions(X)`: each feature's exact SHAP contribution to the model's log-odds (TreeSHAP of the booster,
  the linear SHAP values of the logistic regression, zeros for the dummy);
- `global_importance(X, feature_names)`: mean |SHAP value| per feature (|standardised coefficient| for the
  logistic regression, None for the dummy);
- `points_table()` and `points_breakdown(X)`: a points scorecard's table (variable, bin, woe, iv, points) and
  one row's points by variable (the scorecard of modelling/scorecard.py; None for the other kinds).
Model-kind behaviour lives here only: a new model kind is one fitted-model class (and its trainer) below.
Fitted models are pickled inside the logged pyfunc: their class names and attributes stay as they are (an
already registered model must still load); behaviour is added as methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from credit_scoring.config.modelling import ModelConfig, ModelKind
from credit_scoring.errors import ConfigError
from credit_scoring.modelling.scorecard import ScorecardTrainer

MATRIX_DTYPE = "float32"  # dtype of every feature matrix a model is fitted on and scores
LOGREG_IMPUTER_PARAMS = ("add_indicator",)  # logreg params that configure its imputer, not the regression
SMALL_BATCH = 256  # rows a booster scores single-threaded (no OpenMP start-up for one client)


@dataclass(frozen=True)
class TrainingData:
    """Matrices of one training run (float32 features in `feature_names` order); no validation split for a
    refit with a fixed number of rounds."""

    X_train: np.ndarray
    y_train: np.ndarray
    w_train: np.ndarray | None
    X_valid: np.ndarray | None
    y_valid: np.ndarray | None
    feature_names: list[str]


class FittedModel(Protocol):
    kind: ModelKind
    rounds: int | None

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        """Raw probability of default of float32 rows."""
        ...

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(rows, features) float64 SHAP contributions to the log-odds; a row sums, with the model's base
        value, to its log-odds (all zeros for a model that explains nothing)."""
        ...

    def global_importance(self, X: np.ndarray, feature_names: list[str]) -> pd.Series | None:
        """Importance of each feature on rows X, largest first; None when the model has none."""
        ...

    def points_table(self) -> pd.DataFrame | None:
        """A scorecard's points table (variable, bin, woe, iv, points); None for a model without points."""
        ...

    def points_breakdown(self, X: np.ndarray) -> pd.DataFrame | None:
        """One row's points by variable (variable, bin, points, best_points, points_lost, most lost first);
        None for a model without points."""
        ...


class NoPoints:
    """The points methods of a model that is not a scorecard."""

    def points_table(self) -> None:
        return None

    def points_breakdown(self, X: np.ndarray) -> None:
        return None


def _importance(values: np.ndarray, feature_names: list[str]) -> pd.Series:
    return pd.Series(values, index=feature_names, name="importance").sort_values(ascending=False)


def _tree_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.Series:
    """Mean |SHAP value| per feature from a booster's own TreeSHAP contributions (the same exact values as
    shap.TreeExplainer, computed by the booster's C++ code: no shap import, no model conversion)."""
    return _importance(np.abs(contributions).mean(axis=0), feature_names)


class LightGBMModel(NoPoints):
    """A LightGBM booster cut at its best round. A small batch (`SMALL_BATCH` rows, one client) is scored
    and explained single-threaded: the same trees and numbers (rows are independent), no OpenMP start-up
    on busy cores."""

    kind = ModelKind.lightgbm

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster
        self.rounds = booster.current_iteration()

    @staticmethod
    def _threads(X: np.ndarray) -> dict[str, int]:
        return {"num_threads": 1} if len(X) <= SMALL_BATCH else {}

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.booster.predict(X, **self._threads(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """The booster's own TreeSHAP (`pred_contrib`), base value column dropped."""
        X = np.asarray(X, dtype=MATRIX_DTYPE)
        out = self.booster.predict(X, pred_contrib=True, **self._threads(X))
        return np.asarray(out, dtype="float64")[:, : X.shape[1]]

    def global_importance(self, X: np.ndarray, feature_names: list[str]) -> pd.Series:
        return _tree_importance(self.contributions(X), feature_names)


class XGBoostModel(NoPoints):
    """An XGBoost booster cut at its best round."""

    kind = ModelKind.xgboost

    def __init__(self, booster: xgb.Booster) -> None:
        self.booster = booster
        self.rounds = booster.num_boosted_rounds()

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.booster.inplace_predict(X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """The booster's own TreeSHAP (`pred_contribs`), bias column dropped."""
        X = np.asarray(X, dtype=MATRIX_DTYPE)
        out = self.booster.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)
        return np.asarray(out, dtype="float64")[:, : X.shape[1]]

    def global_importance(self, X: np.ndarray, feature_names: list[str]) -> pd.Series:
        return _tree_importance(self.contributions(X), feature_names)


class SklearnModel(NoPoints):
    """A fitted scikit-learn classifier: the dummy (class prior: no contributions, no importance) or the
    logistic regression pipeline (impute -> scale -> model: linear SHAP values, |standardised coefficients|)."""

    rounds = None

    def __init__(self, kind: ModelKind, estimator: Any) -> None:
        self.kind = kind
        self.estimator = estimator

    @property
    def _linear(self) -> bool:
        return self.kind is ModelKind.logreg

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.estimator.predict_proba(X)[:, 1]

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Logistic regression: coefficient x standardised value (the exact linear SHAP values against the
        training mean), each missing-value indicator's part added to its feature. Dummy: zeros."""
        X = np.asarray(X, dtype=MATRIX_DTYPE)
        n_features = X.shape[1]
        if not self._linear:
            return np.zeros(X.shape, dtype="float64")
        steps = self.estimator.named_steps
        imputer, scaler, logreg = steps["impute"], steps["scale"], steps["model"]
        weighted = scaler.transform(imputer.transform(X)) * logreg.coef_[0][None, :]
        out = np.array(weighted[:, :n_features], dtype="float64")
        indicator = getattr(imputer, "indicator_", None)
        for k, j in enumerate(np.asarray(indicator.features_) if indicator is not None else []):
            out[:, j] += weighted[:, n_features + k]
        return out

    def global_importance(self, X: np.ndarray, feature_names: list[str]) -> pd.Series | None:
        if not self._linear:
            return None
        coef = self.estimator.named_steps["model"].coef_[0][: len(feature_names)]
        return _importance(np.abs(coef), feature_names)


class Trainer(Protocol):
    def fit(self, params: dict[str, Any], rounds: int | None = None) -> FittedModel:
        """Fit with `params`; boosters: early stopping on the validation split, or exactly `rounds` rounds
        when given (models without rounds ignore it)."""
        ...


def _boosting_settings(cfg: ModelConfig) -> tuple[int, int]:
    if cfg.max_rounds is None or cfg.early_stopping_rounds is None or cfg.eval_metric is None:
        raise ConfigError(
            f"model {cfg.name}: boosters need max_rounds, early_stopping_rounds and eval_metric"
        )
    return cfg.max_rounds, cfg.early_stopping_rounds


class LightGBMTrainer:
    """lightgbm.train on a Dataset binned once; early stopping on the validation split."""

    def __init__(self, cfg: ModelConfig, data: TrainingData, threads: int) -> None:
        self.cfg, self.threads = cfg, threads
        self.max_rounds, self.patience = _boosting_settings(cfg)
        base = {**cfg.dataset_params, "verbosity": -1, "num_threads": threads, "seed": cfg.seed}
        self.train_set = lgb.Dataset(
            data.X_train, data.y_train, weight=data.w_train, params=base, free_raw_data=False
        ).construct()
        self.valid_set = (
            None
            if data.X_valid is None
            else lgb.Dataset(data.X_valid, data.y_valid, reference=self.train_set, params=base).construct()
        )

    def fit(self, params: dict[str, Any], rounds: int | None = None) -> LightGBMModel:
        full = {
            **self.cfg.params,
            **params,
            "metric": self.cfg.eval_metric,
            "num_threads": self.threads,
            "seed": self.cfg.seed,
            "verbosity": -1,
        }
        if rounds is not None or self.valid_set is None:
            booster = lgb.train(full, self.train_set, num_boost_round=rounds or self.max_rounds)
            return LightGBMModel(lgb.Booster(model_str=booster.model_to_string()))  # no training data held
        booster = lgb.train(
            full,
            self.train_set,
            num_boost_round=self.max_rounds,
            valid_sets=[self.valid_set],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(self.patience, first_metric_only=True, verbose=False)],
        )
        best = booster.best_iteration or booster.current_iteration()
        return LightGBMModel(lgb.Booster(model_str=booster.model_to_string(num_iteration=best)))


class XGBoostTrainer:
    """xgboost.train on a QuantileDMatrix built once; early stopping on the validation split."""

    def __init__(self, cfg: ModelConfig, data: TrainingData, threads: int) -> None:
        self.cfg, self.threads = cfg, threads
        self.max_rounds, self.patience = _boosting_settings(cfg)
        self.dtrain = xgb.QuantileDMatrix(
            data.X_train, data.y_train, weight=data.w_train, nthread=threads, **cfg.dataset_params
        )
        self.dvalid = (
            None
            if data.X_valid is None
            else xgb.QuantileDMatrix(
                data.X_valid, data.y_valid, ref=self.dtrain, nthread=threads, **cfg.dataset_params
            )
        )

    def fit(self, params: dict[str, Any], rounds: int | None = None) -> XGBoostModel:
        full = {
            **self.cfg.params,
            **params,
            **self.cfg.dataset_params,
            "eval_metric": self.cfg.eval_metric,
            "nthread": self.threads,
            "seed": self.cfg.seed,
        }
        if rounds is not None or self.dvalid is None:
            return XGBoostModel(xgb.train(full, self.dtrain, num_boost_round=rounds or self.max_rounds))
        booster = xgb.train(
            full,
            self.dtrain,
            num_boost_round=self.max_rounds,
            evals=[(self.dvalid, "valid")],
            early_stopping_rounds=self.patience,
            verbose_eval=False,
        )
        return XGBoostModel(booster[: booster.best_iteration + 1])


class SklearnTrainer:
    """Dummy (class prior) and logistic regression (imputation, scaling) on numpy matrices."""

    def __init__(self, cfg: ModelConfig, data: TrainingData, threads: int) -> None:
        self.cfg, self.data = cfg, data

    def estimator(self, params: dict[str, Any]) -> Any:
        merged = {**self.cfg.params, **params}
        if self.cfg.kind is ModelKind.dummy:
            return DummyClassifier(**merged, random_state=self.cfg.seed)
        imputer_args = {k: merged.pop(k) for k in LOGREG_IMPUTER_PARAMS if k in merged}
        return Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True, **imputer_args)),
                ("scale", StandardScaler()),
                ("model", LogisticRegression(**merged, random_state=self.cfg.seed)),
            ]
        )

    def fit(self, params: dict[str, Any], rounds: int | None = None) -> SklearnModel:
        est = self.estimator(params)
        d = self.data
        if self.cfg.kind is ModelKind.dummy:
            est.fit(d.X_train, d.y_train, sample_weight=d.w_train)
        else:
            est.fit(d.X_train, d.y_train, model__sample_weight=d.w_train)
        return SklearnModel(self.cfg.kind, est)


TRAINERS: dict[ModelKind, type] = {
    ModelKind.lightgbm: LightGBMTrainer,
    ModelKind.xgboost: XGBoostTrainer,
    ModelKind.dummy: SklearnTrainer,
    ModelKind.logreg: SklearnTrainer,
    ModelKind.scorecard: ScorecardTrainer,  # modelling/scorecard.py
}


def make_trainer(cfg: ModelConfig, data: TrainingData, threads: int) -> Trainer:
    """The trainer of `cfg.kind`, its data prepared once."""
    return TRAINERS[cfg.kind](cfg, data, threads)
