"""Categorical encoding (scikit-learn transformer): one-hot or ordinal codes of the text columns, levels
learnt on the training split only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from credit_scoring.config import FeaturesConfig
from credit_scoring.errors import ConfigError
from credit_scoring.features.naming import level_column

UNSEEN_CODE = -1.0  # ordinal code of a level not kept at fit time


def is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or isinstance(s.dtype, pd.StringDtype)
    )


class CategoricalEncoder(BaseEstimator, TransformerMixin):
    """One-hot or ordinal encoding of the categorical (text) columns of a frame; other columns pass through.

    Levels are learnt in `fit`: per column the `max_levels` most frequent levels seen at least
    `min_frequency` times (ties by level). One-hot: one 0/1 column per kept level, named like the merge
    stage's indicators (COLUMN_Level), plus COLUMN_nan when `nan_as_category` and the column had missing
    values; an unseen level is all zeros. Ordinal: codes 0..k-1 by frequency, missing as NaN, unseen -1.
    """

    def __init__(
        self,
        method: str = "onehot",
        max_levels: int = 60,
        min_frequency: int = 1,
        nan_as_category: bool = True,
    ) -> None:
        self.method = method
        self.max_levels = max_levels
        self.min_frequency = min_frequency
        self.nan_as_category = nan_as_category

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoricalEncoder:
        if self.method not in ("onehot", "ordinal"):
            raise ValueError(f"method must be 'onehot' or 'ordinal', got {self.method!r}")
        self.columns_ = [c for c in X.columns if is_categorical(X[c])]
        self.levels_: dict[str, list[str]] = {}
        self.nan_columns_: list[str] = []
        for col in self.columns_:
            counts = X[col].astype("object").dropna().astype(str).value_counts()
            counts = counts[counts >= self.min_frequency]
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_levels]
            self.levels_[col] = [k for k, _ in ranked]
            if self.method == "onehot" and self.nan_as_category and X[col].isna().any():
                self.nan_columns_.append(col)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.feature_names_out_ = self._names(list(X.columns))
        return self

    def _indicator_names(self, col: str) -> list[str]:
        levels: list[str | None] = list(self.levels_[col])
        if col in self.nan_columns_:
            levels.append(None)
        return [level_column(col, lv) for lv in levels]

    def _names(self, columns: list[str]) -> list[str]:
        names: list[str] = []
        for c in columns:
            if c in self.levels_ and self.method == "onehot":
                names.extend(self._indicator_names(c))
            else:
                names.append(c)
        seen: set[str] = set()
        dupes = sorted({n for n in names if n in seen or seen.add(n)})
        if dupes:
            raise ConfigError(f"encoded column names collide with existing columns: {dupes[:10]}")
        return names

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """A new frame: categorical columns encoded, the others unchanged, in `feature_names_out_` order."""
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"columns seen in fit are missing: {missing[:10]}")
        parts: dict[str, Any] = {}
        for col in self.feature_names_in_:
            if col not in self.levels_:
                parts[col] = X[col]
                continue
            levels = self.levels_[col]
            text = X[col].astype("object")
            codes = pd.Categorical(text.where(text.isna(), text.astype(str)), categories=levels).codes
            if self.method == "ordinal":
                out = codes.astype("float64")
                out[(codes == -1) & text.notna().to_numpy()] = UNSEEN_CODE
                out[text.isna().to_numpy()] = np.nan
                parts[col] = out
                continue
            onehot = (codes[:, None] == np.arange(len(levels))[None, :]).astype("uint8")
            names = self._indicator_names(col)
            for j in range(len(levels)):
                parts[names[j]] = onehot[:, j]
            if col in self.nan_columns_:
                parts[names[-1]] = text.isna().to_numpy().astype("uint8")
        return pd.DataFrame(parts, index=X.index)[self.feature_names_out_]


def encoder_from_config(cfg: FeaturesConfig) -> CategoricalEncoder:
    e = cfg.encoding
    return CategoricalEncoder(
        method=e.method.value,
        max_levels=e.max_levels,
        min_frequency=e.min_frequency,
        nan_as_category=e.nan_as_category,
    )
