"""The clients the app knows: the raw applicant rows (application columns + side-table aggregates) the
champion scores, of the production clients (the production table) and the known clients (the train table,
with their outcome), read once from the ingest and merge stages' outputs through the catalog."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from credit_scoring.config import DatasetConfig, FeaturesConfig
from credit_scoring.errors import InputDataError
from credit_scoring.features.rows import side_features_frame
from credit_scoring.io.catalog import Catalog
from credit_scoring.modelling.models import MATRIX_DTYPE
from credit_scoring.serving.requests import parse_client_id
from credit_scoring.serving.results import DEFAULTED, KNOWN, PRODUCTION, REPAID, outcome_text

log = logging.getLogger(__name__)


def float_matrix(side: pd.DataFrame) -> np.ndarray:
    """The side features as one float matrix (their common float dtype: float32 as the store reads them)."""
    values = side.to_numpy()
    return values if values.dtype.kind == "f" else values.astype("float64")


def store_key(ds: DatasetConfig, features: FeaturesConfig) -> tuple:
    """What a store's rows depend on: two champions with the same key share one store."""
    return (ds.id, ds.target, ds.train_table, ds.production_table, bool(features.side_features))


class ClientStore:
    """Raw applicant rows of the production and known clients, by id.

    Application rows (typed, as the ingest stage wrote them) and side features (the merge stage's table,
    by id, held as one matrix) are kept apart and joined per request / per chunk, like the data stages'
    left join: as a frame (`rows`), or column by column for one client (`columns_at`, no frame of ~700
    columns: the what-if path).
    """

    def __init__(
        self, app: pd.DataFrame, side: pd.DataFrame | None, ds: DatasetConfig, source: np.ndarray
    ) -> None:
        self.ds = ds
        self.app = app.reset_index(drop=True)
        self.source = np.asarray(source)
        self.ids = self.app[ds.id].to_numpy(dtype="int64")
        self.position = {int(i): p for p, i in enumerate(self.ids)}
        target = (
            self.app[ds.target] if ds.target in self.app.columns else pd.Series(np.nan, index=self.app.index)
        )
        self.outcome = target.to_numpy(dtype="float64", na_value=np.nan)
        by_id = None if side is None else side.set_index(ds.id)
        self.side_columns: list[str] = [] if by_id is None else list(by_id.columns)
        self.side_ids = pd.Index([], dtype="int64") if by_id is None else by_id.index
        self.side_values = None if by_id is None else float_matrix(by_id)  # (ids, side columns)
        self.side_of = self.side_ids.get_indexer(self.ids)  # side row of each stored client (-1: none)
        # each application column as one numpy array (views of the frame's blocks; categories as text)
        self.app_arrays = {c: self.app[c].to_numpy() for c in self.app.columns if c != ds.target}
        self.key: tuple = ()  # what the rows were read for (`store_key`)

    @classmethod
    def from_stage_outputs(cls, catalog: Catalog, ds: DatasetConfig, features: FeaturesConfig) -> ClientStore:
        """Production clients first (the production table), then the known ones (the train table); side
        features when the champion's features use them."""
        frames, sources = [], []
        for table, source in ((ds.production_table, PRODUCTION), (ds.train_table, KNOWN)):
            if table is None:
                continue
            frame = catalog.ingested(table).read()
            frames.append(frame)
            sources.append(np.full(len(frame), source, dtype=object))
        app = pd.concat(frames, ignore_index=True)
        source = np.concatenate(sources)
        dup = app[ds.id].duplicated().to_numpy()
        if dup.any():  # an id in both tables: the production row wins
            log.warning(
                "%d ids are both production and known clients: the production rows are kept", dup.sum()
            )
            app, source = app.loc[~dup].reset_index(drop=True), source[~dup]
        side = side_features_frame(catalog, features, ds.id)
        if side is not None:
            values = [c for c in side.columns if c != ds.id]
            side[values] = side[values].astype(MATRIX_DTYPE)  # the features' own precision: half the memory
        store = cls(app, side, ds, source)
        store.key = store_key(ds, features)
        return store

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, client_id: int) -> int | None:
        return self.position.get(int(client_id))

    def locate(self, client_id: object) -> tuple[int, int]:
        """(client id, store position) of a production or known client; a message for people otherwise."""
        cid = parse_client_id(client_id)
        position = self.find(cid)
        if position is None:
            raise InputDataError(
                f"unknown client {cid}: no production or known client has this {self.ds.id} "
                "(a new client can be scored from the What-if / new client tab)"
            )
        return cid, position

    def outcome_at(self, position: int) -> str | None:
        """The known outcome of the client at `position` in words (None: a production client)."""
        return outcome_text(self.outcome[position])

    def outcomes(self, positions: np.ndarray) -> np.ndarray:
        """Outcomes in words of known clients."""
        return np.where(self.outcome[positions] == 1, DEFAULTED, REPAID)

    def rows(self, positions: np.ndarray | slice) -> pd.DataFrame:
        """Raw applicant rows (application columns + side features) at positions, target dropped."""
        app = self.app.iloc[positions].drop(columns=[self.ds.target], errors="ignore").reset_index(drop=True)
        return self.with_side(app)

    def with_side(self, app: pd.DataFrame) -> pd.DataFrame:
        """Application rows left-joined with the stored side features of their ids (new ids: missing)."""
        if self.side_values is None:
            return app
        found = self.side_ids.get_indexer(app[self.ds.id].to_numpy(dtype="float64", na_value=np.nan))
        side = pd.DataFrame(self._side_rows(found), columns=self.side_columns, index=app.index)
        return pd.concat([app, side], axis=1)

    def _side_rows(self, found: np.ndarray) -> np.ndarray:
        """The side matrix's rows at `found` (-1: missing values)."""
        assert self.side_values is not None
        out = np.full((len(found), len(self.side_columns)), np.nan, dtype=self.side_values.dtype)
        hit = found >= 0
        out[hit] = self.side_values[found[hit]]
        return out

    def columns_at(self, position: int) -> dict[str, np.ndarray]:
        """The raw row of the client at `position` column by column (name -> one value; target dropped):
        the values of `rows(slice(position, position + 1))` without building its frame."""
        row = slice(position, position + 1)
        out = {c: values[row] for c, values in self.app_arrays.items()}
        if self.side_values is not None:
            side = self._side_rows(self.side_of[row])[0]
            out.update(zip(self.side_columns, side.reshape(-1, 1), strict=True))  # 1-value views
        return out

    def known_positions(self) -> np.ndarray:
        return np.flatnonzero((self.source == KNOWN) & ~np.isnan(self.outcome))

    def example_ids(self, n: int = 3) -> dict[str, list[int]]:
        """A few production and known client ids (for the page's hints)."""
        return {
            source: [int(i) for i in self.ids[self.source == source][:n]] for source in (PRODUCTION, KNOWN)
        }
