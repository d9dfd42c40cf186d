"""The modelling tables train / valid / test / production: application features, side features, encoding.

Per applicant: the application row, the dataset's sentinel flags and domain features (credit/income,
annuity/income, payment rate, employed/age, EXT_SOURCE combinations for Home Credit), the merge stage's
side features (left join, one_to_one), categorical columns encoded by `CategoricalEncoder` fitted on the
train split only. Feature columns are floats (missing as NaN, infinities as NaN); the id and target stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.config import DatasetConfig, FeaturesConfig
from credit_scoring.data.keys import strictly_increasing
from credit_scoring.data.split import PART_COLUMN, PARTS
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.features.derived import apply_sentinels, check_derived, derived_series
from credit_scoring.features.encoding import CategoricalEncoder, encoder_from_config

PRODUCTION = "production"

SIDE_READ_COLUMNS = 64  # side-feature columns read at once (bounds the float64 copy held in memory)


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
        # only the inputs, from the rows or the features made so far: no copy of the whole frame per feature
        inputs = pd.DataFrame({c: new[c] if c in new else out[c] for c in d.inputs}, index=out.index)[
            d.inputs
        ]
        new[d.name] = derived_series(inputs, d)
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
    if not strictly_increasing([side_ids]):
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
) -> tuple[Iterator[tuple[str, pa.Table]], CategoricalEncoder]:
    """The four modelling tables (train, valid, test, production), each built when the iterator reaches it
    (so that one can be written while the next is built), and the encoder fitted on train rows only.

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

    def tables() -> Iterator[tuple[str, pa.Table]]:
        for name in PARTS:
            yield name, model_table(train_x.loc[part == name], ds, encoder, side, cfg.float_dtype)
        yield PRODUCTION, model_table(prod_x, ds, encoder, side, cfg.float_dtype)

    return tables(), encoder


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
