"""The modelling tables train / valid / test / production: application features, side features, encoding.

Per applicant: the application row, the dataset's sentinel flags and domain features (credit/income,
annuity/income, payment rate, employed/age, EXT_SOURCE combinations for Home Credit), the merge stage's
side features (left join, one_to_one), categorical columns encoded by `CategoricalEncoder` fitted on the
train split only. Feature columns are floats (missing as NaN, infinities as NaN); the id and target stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.base import BaseEstimator, TransformerMixin

from credit_scoring.config import DatasetConfig, FeaturesConfig
from credit_scoring.data.split import PART_COLUMN, PARTS
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.features.aggregate import level_column
from credit_scoring.features.derived import apply_sentinels, check_derived, derived_series

PRODUCTION = "production"
UNSEEN_CODE = -1.0  # ordinal code of a level not kept at fit time
SIDE_READ_COLUMNS = 64  # side-feature columns read at once (bounds the float64 copy held in memory)


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


def application_features(app: pd.DataFrame, ds: DatasetConfig, cfg: FeaturesConfig) -> pd.DataFrame:
    """The application rows with the dataset's sentinel flags and domain features (a new frame)."""
    if not cfg.domain:
        return app.copy()
    out = apply_sentinels(app, ds.sentinels)
    new = {}
    for d in ds.domain_features:
        check_derived(d, [*out.columns, *new], f"dataset.domain_features of {ds.name}")
        if d.name in out.columns or d.name in new:
            raise ConfigError(f"domain feature {d.name} repeats an existing column")
        new[d.name] = derived_series(out.assign(**new), d)
    return pd.concat([out, pd.DataFrame(new, index=out.index)], axis=1) if new else out


def join_side_features(app: pd.DataFrame, side: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """Left join of side features on the id, in pandas (one_to_one: one row per applicant on both sides).

    For callers holding frames (scoring); the stage itself aligns columns with `side_rows`."""
    clash = sorted(set(app.columns).intersection(side.columns) - {id_col})
    if clash:
        raise ConfigError(f"side features repeat application columns: {clash[:10]}")
    return app.merge(side, on=id_col, how="left", validate="one_to_one", sort=False)


def side_rows(app_ids: np.ndarray, side_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left join on the id, one_to_one (checked): per applicant, its row in the side features and whether found."""
    if len(side_ids) > 1 and not bool(np.all(side_ids[1:] > side_ids[:-1])):
        raise ConfigError("side features must be unique and sorted on the id (rerun the merge stage)")
    if len(np.unique(app_ids)) != len(app_ids):
        raise InputDataError("application ids are not unique: the side-feature join would not be one_to_one")
    if len(side_ids) == 0:
        return np.zeros(len(app_ids), dtype=np.int64), np.zeros(len(app_ids), dtype=bool)
    pos = np.minimum(np.searchsorted(side_ids, app_ids), len(side_ids) - 1)
    return pos, side_ids[pos] == app_ids


def model_table(
    X: pd.DataFrame,
    ds: DatasetConfig,
    encoder: CategoricalEncoder,
    side: dict[str, np.ndarray] | None,
    float_dtype: str,
) -> pa.Table:
    """id (+ target when present), the encoded application features, then the side features: every feature
    as `float_dtype` (infinities as NaN), rows sorted by id. Built column by column, never as one wide copy."""
    X = X.sort_values(ds.id, kind="stable")
    ids = X[ds.id].to_numpy(dtype="int64")
    columns: dict[str, np.ndarray] = {ds.id: ids}
    if ds.target in X.columns:
        columns[ds.target] = X[ds.target].to_numpy(dtype="int8")
    feats = encoder.transform(X.drop(columns=[c for c in (ds.id, ds.target) if c in X.columns]))
    for col in feats.columns:
        columns[col] = feats[col].to_numpy(dtype="float64", na_value=np.nan).astype(float_dtype)
    if side is not None:
        pos, found = side_rows(ids, side[ds.id])
        for col, values in side.items():
            if col == ds.id:
                continue
            if col in columns:
                raise ConfigError(f"side feature {col} repeats an application column")
            out = np.full(len(ids), np.nan, dtype=float_dtype)
            out[found] = values[pos[found]]
            columns[col] = out
    for values in columns.values():
        if values.dtype.kind == "f":
            values[np.isinf(values)] = np.nan
    return pa.table(columns)


def build_features(
    train_table: pd.DataFrame,
    production: pd.DataFrame,
    side: dict[str, np.ndarray] | None,
    split: pd.DataFrame,
    ds: DatasetConfig,
    cfg: FeaturesConfig,
) -> tuple[dict[str, pa.Table], CategoricalEncoder]:
    """The four modelling tables {train, valid, test, production} and the encoder fitted on train rows only.

    `side`: the side features as {column: array}, sorted by id (`read_side_features`), or None.
    """
    train_x = application_features(train_table, ds, cfg)
    prod_x = application_features(production, ds, cfg)
    parts = train_x[[ds.id]].merge(split, on=ds.id, how="left", validate="one_to_one")[PART_COLUMN]
    if parts.isna().any():
        raise InputDataError(
            f"{int(parts.isna().sum()):,} rows of {ds.train_table} are not in the split: rerun the split stage"
        )
    part = parts.to_numpy()
    keys = [ds.id, ds.target]
    encoder = encoder_from_config(cfg).fit(train_x.loc[part == "train"].drop(columns=keys))
    tables = {
        name: model_table(train_x.loc[part == name], ds, encoder, side, cfg.float_dtype) for name in PARTS
    }
    tables[PRODUCTION] = model_table(prod_x, ds, encoder, side, cfg.float_dtype)
    return tables, encoder


def read_side_features(path: Path, id_col: str, float_dtype: str) -> dict[str, np.ndarray]:
    """The merge stage's output as {column: numpy array} (features as `float_dtype`), read a few columns at a
    time so that the float64 file is never held whole next to its float32 copy."""
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the merge stage first)")
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    out = {id_col: parquet.read(columns=[id_col]).column(id_col).to_numpy().astype("int64")}
    rest = [n for n in names if n != id_col]
    for start in range(0, len(rest), SIDE_READ_COLUMNS):
        batch = parquet.read(columns=rest[start : start + SIDE_READ_COLUMNS])
        for name in batch.column_names:
            out[name] = batch.column(name).to_numpy().astype(float_dtype)
    return out
