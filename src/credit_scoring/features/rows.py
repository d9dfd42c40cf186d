"""Raw applicant rows from the stage outputs: application rows of one split part joined with their side
features, the input the logged model scores (the register, monitor and serving stages read them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_scoring.config import DatasetConfig, FeaturesConfig
from credit_scoring.data.split import PART_COLUMN
from credit_scoring.features.tables import join_side_features
from credit_scoring.io.catalog import Catalog


def side_feature_names(catalog: Catalog, features: FeaturesConfig, id_col: str) -> list[str]:
    """Columns of the merge stage's side features, id excluded (read from the Parquet schema only)."""
    if not features.side_features:
        return []
    return [c for c in catalog.side_features.columns() if c != id_col]


def side_features_frame(
    catalog: Catalog, features: FeaturesConfig, id_col: str, ids: np.ndarray | None = None
) -> pd.DataFrame | None:
    """The merge stage's side features, only the rows of `ids` when given (None when the features config
    does not use side features)."""
    if not features.side_features:
        return None
    filters = None if ids is None else [(id_col, "in", np.asarray(ids).tolist())]
    return catalog.side_features.read(filters=filters)


def applicant_rows(app: pd.DataFrame, side: pd.DataFrame | None, ds: DatasetConfig) -> pd.DataFrame:
    """Raw applicant rows: application rows left-joined with their side features (the data stages' join)."""
    return app.reset_index(drop=True) if side is None else join_side_features(app, side, ds.id)


def part_application_rows(
    catalog: Catalog, ds: DatasetConfig, part: str, ids: np.ndarray | None = None
) -> pd.DataFrame:
    """Application rows (target included) of one part (train / valid / test) of the train table, by id;
    only the rows of `ids` (ids of that part) when given."""
    table = catalog.ingested(ds.train_table)
    table.require()
    split = catalog.split.read()
    wanted = split.loc[split[PART_COLUMN].astype(str) == part, ds.id]
    if ids is not None:
        wanted = wanted[wanted.isin(ids)]
    filters = None if ids is None else [(ds.id, "in", wanted.tolist())]
    app = table.read(filters=filters)
    return app.loc[app[ds.id].isin(wanted)].sort_values(ds.id, ignore_index=True)


def split_rows(
    catalog: Catalog, ds: DatasetConfig, features: FeaturesConfig, part: str, ids: np.ndarray | None = None
) -> pd.DataFrame:
    """Raw applicant rows (target included) of one part of the train table: application rows joined with
    their side features (only those rows of the side features are read); only the rows of `ids` if given."""
    app = part_application_rows(catalog, ds, part, ids)
    side = side_features_frame(catalog, features, ds.id, app[ds.id].to_numpy())
    return applicant_rows(app, side, ds)
