"""WoE scorecard challenger (model kind `scorecard`): optbinning's `BinningProcess` (optimal binning of each
feature, weight of evidence per bin, variables selected by information value), a logistic regression on the
WoE values and a `Scorecard` in points (points to double the odds: `model.scaling`).

`params` of conf/model/scorecard.yaml are routed by name: `BinningProcess` arguments to the binning process,
other `OptimalBinning` arguments (e.g. `monotonic_trend`) to the binning of every feature, the rest to the
`LogisticRegression`. Missing values and special codes get their bin's empirical WoE, so that the points
table, the scores and the probabilities agree.

A higher score is a lower risk: score = offset - factor x log-odds of default, factor = pdo / ln 2. A row's
`contributions` are therefore the points it lost against the best bin of each variable, divided by the
factor: non-negative, they sum with the base value (the log-odds of a client in every best bin) to the log-odds
of the row, and the app's reasons word the variables where the client lost the most points. optbinning is
imported when a scorecard is trained or unpickled only: the other kinds never load it.
"""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.config.modelling import ModelConfig, ModelKind
from credit_scoring.errors import ConfigError

if TYPE_CHECKING:
    from credit_scoring.modelling.models import TrainingData

EMPIRICAL = "empirical"  # WoE of the missing / special bins: their own, as in the points table
TABLE_COLUMNS = {"Variable": "variable", "Bin": "bin", "WoE": "woe", "IV": "iv", "Points": "points"}
POINTS_COLUMNS = list(TABLE_COLUMNS.values())  # the points table's columns
BREAKDOWN_COLUMNS = ["variable", "bin", "points", "best_points", "points_lost"]


def _frame(X: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(X, dtype="float64"), columns=feature_names)


class ScorecardModel:
    """A fitted optbinning `Scorecard` on the model matrix (its columns: `feature_names`)."""

    kind = ModelKind.scorecard
    rounds = None

    def __init__(self, scorecard: Any, feature_names: list[str], factor: float) -> None:
        self.scorecard = scorecard
        self.feature_names = list(feature_names)
        self.factor = factor  # points per unit of log-odds (pdo / ln 2)
        table = scorecard.table(style="detailed")
        seen = table[table["Count"] > 0]  # a bin no training row fell in (no special code) is no best bin
        self.best_points = seen.groupby("Variable", sort=False)["Points"].max()
        self.positions = [self.feature_names.index(v) for v in self.best_points.index]

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return self.scorecard.predict_proba(_frame(X, self.feature_names))[:, 1]

    def score(self, X: np.ndarray) -> np.ndarray:
        """The scorecard's points of each row (higher: lower risk)."""
        return self.scorecard.score(_frame(X, self.feature_names))

    def points(self, X: np.ndarray) -> pd.DataFrame:
        """(rows, selected variables): the points each row gets from each variable of the scorecard."""
        return self.scorecard.transform(_frame(X, self.feature_names))[list(self.best_points.index)]

    def points_lost(self, X: np.ndarray) -> pd.DataFrame:
        """(rows, selected variables): points lost against the best bin of each variable (>= 0)."""
        return self.best_points - self.points(X)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Points lost against each variable's best bin, in log-odds of default (zero for the variables the
        scorecard does not use); with the log-odds of the best bins, a row sums to its log-odds."""
        X = np.atleast_2d(X)
        out = np.zeros(X.shape, dtype="float64")
        if self.positions:
            out[:, self.positions] = self.points_lost(X).to_numpy(dtype="float64") / self.factor
        return out

    def global_importance(self, X: np.ndarray, feature_names: list[str]) -> pd.Series:
        """Mean |SHAP value| on rows X: for an additive model, each variable's part minus its mean."""
        c = self.contributions(X)
        values = np.abs(c - c.mean(axis=0)).mean(axis=0) if len(c) else np.zeros(len(feature_names))
        return pd.Series(values, index=feature_names, name="importance").sort_values(ascending=False)

    def points_table(self) -> pd.DataFrame:
        """Columns variable, bin, woe, iv, points: one row per bin of each variable of the scorecard."""
        table = self.scorecard.table(style="detailed")[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
        table["bin"] = table["bin"].map(_bin_text)
        return table.reset_index(drop=True)

    def points_breakdown(self, X: np.ndarray) -> pd.DataFrame:
        """One row's points by variable: its bin, its points, the best bin's points and the points lost,
        most points lost first."""
        row = np.atleast_2d(X)[:1]
        frame = _frame(row, self.feature_names)
        bins = self.scorecard.binning_process_.transform(
            frame, metric="bins", metric_special=EMPIRICAL, metric_missing=EMPIRICAL
        )
        points = self.points(row).iloc[0]
        out = pd.DataFrame(
            {
                "variable": list(self.best_points.index),
                "bin": [_bin_text(bins[v].iloc[0]) for v in self.best_points.index],
                "points": points.to_numpy(dtype="float64"),
                "best_points": self.best_points.to_numpy(dtype="float64"),
            }
        )
        out["points_lost"] = out["best_points"] - out["points"]
        return out.sort_values("points_lost", ascending=False, kind="stable", ignore_index=True)


def _bin_text(value: Any) -> str:
    """A bin as text: an interval '[0.21, 0.35)', 'Missing', 'Special' (categorical bins are lists)."""
    if isinstance(value, (list, np.ndarray)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _arguments(cls: type) -> set[str]:
    return {name for name in inspect.signature(cls.__init__).parameters if name != "self"}


class ScorecardTrainer:
    """Fits one optbinning Scorecard per trial (binning and regression with the trial's parameters)."""

    def __init__(self, cfg: ModelConfig, data: TrainingData, threads: int) -> None:
        if cfg.scaling is None:
            raise ConfigError(f"model {cfg.name}: a scorecard needs scaling (score, odds, pdo)")
        if cfg.scaling.pdo <= 0 or cfg.scaling.odds <= 0:
            raise ConfigError(f"model {cfg.name}: scaling.pdo and scaling.odds must be positive")
        self.cfg, self.data, self.threads = cfg, data, threads
        present = ~np.isnan(np.asarray(data.X_train, dtype="float64")).all(axis=0)
        # a feature missing on every training row has nothing to bin (it gets no points)
        self.binned_features = [n for n, keep in zip(data.feature_names, present, strict=True) if keep]

    def estimator(self, params: dict[str, Any]) -> Any:
        """The unfitted Scorecard of `params` (fixed params of the config, then the trial's)."""
        from optbinning import BinningProcess, OptimalBinning, Scorecard
        from sklearn.linear_model import LogisticRegression

        merged = {**self.cfg.params, **params}
        process_args = _arguments(BinningProcess) - {"variable_names", "binning_fit_params", "n_jobs"}
        binning_args = _arguments(OptimalBinning) - process_args - {"name", "dtype"}
        process = {k: v for k, v in merged.items() if k in process_args}
        per_variable = {k: v for k, v in merged.items() if k in binning_args}
        regression = {k: v for k, v in merged.items() if k not in process_args | binning_args}
        names = self.binned_features
        binning = BinningProcess(
            names,
            binning_fit_params={name: dict(per_variable) for name in names} if per_variable else None,
            n_jobs=self.threads,
            **process,
        )
        s = self.cfg.scaling
        return Scorecard(
            binning,
            LogisticRegression(**regression, random_state=self.cfg.seed),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": s.pdo, "odds": s.odds, "scorecard_points": s.score},
        )

    def fit(self, params: dict[str, Any], rounds: int | None = None) -> ScorecardModel:
        """Bin, weigh and scale with `params` (`rounds`: none, a scorecard has no boosting rounds)."""
        d = self.data
        scorecard = self.estimator(params).fit(
            _frame(d.X_train, d.feature_names),
            d.y_train,
            sample_weight=d.w_train,
            metric_special=EMPIRICAL,
            metric_missing=EMPIRICAL,
        )
        return ScorecardModel(scorecard, d.feature_names, self.cfg.scaling.pdo / math.log(2))
