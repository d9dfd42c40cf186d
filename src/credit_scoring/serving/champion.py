"""The champion at one version: its card, and everything the app precomputes for it once.

`ChampionVersion` holds the pyfunc and its `ScoringPipeline`, every client's feature row (the pipeline's own
preprocessing) and model matrix (its own imputation), the plain-words explainers (labels, feature groups,
the reasons' reference quantiles), the global importance and the similar-clients index. Scores and SHAP
contributions are the pipeline's (`probability_of_matrix`, `contributions`): the app shows what
`mlflow.pyfunc.load_model("models:/<name>@<alias>")` returns on the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import ColumnType, DatasetConfig
from credit_scoring.config.serving import ServingConfig
from credit_scoring.data.plausibility import row_notices
from credit_scoring.modelling.costs import decisions
from credit_scoring.modelling.models import MATRIX_DTYPE
from credit_scoring.scoring.pipeline import ScoringPipeline, application_table
from credit_scoring.serving.clients import ClientStore
from credit_scoring.serving.explain import (
    NUMERIC,
    Labeller,
    Reasoner,
    categorical_columns,
    feature_groups,
)
from credit_scoring.serving.requests import what_if_columns, what_if_fields
from credit_scoring.serving.results import POINTS_SHOWN, ScoreResult
from credit_scoring.tracking.champion import ChampionRef, iso_utc

SHOWN_TIME = "%Y-%m-%d %H:%M:%S UTC"


# ---- the card -----------------------------------------------------------------------------------------------
@dataclass
class ModelCard:
    """What the app tells about the champion."""

    model_name: str
    alias: str
    version: str
    run_id: str
    run_name: str
    model_kind: str
    trained_at: str
    registered_at: str
    threshold: float
    cost_false_negative: float | None
    cost_false_positive: float | None
    test_metrics: dict[str, float]
    gate_reason: str
    tracking_uri: str
    loaded_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def shown_time(iso: str) -> str:
    """An ISO 8601 time as the app shows it ('2024-05-01 12:00:00 UTC'; '' when unknown)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime(SHOWN_TIME) if iso else ""


def now() -> str:
    return datetime.now(tz=UTC).strftime(SHOWN_TIME)


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def model_card(client: Any, ref: ChampionRef, threshold: float) -> ModelCard:
    """The card of a registered version: its run, training time, test metrics and cost weights."""
    run = client.get_run(ref.run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    test = {k[len("test_") :]: float(v) for k, v in sorted(metrics.items()) if k.startswith("test_")}
    return ModelCard(
        model_name=ref.name,
        alias=ref.alias,
        version=ref.version,
        run_id=ref.run_id,
        run_name=str(tags.get("mlflow.runName", run.info.run_name or "")),
        model_kind=str(tags.get("model_kind", "")),
        trained_at=shown_time(iso_utc(run.info.end_time or run.info.start_time)),
        registered_at=shown_time(ref.registered_at),
        threshold=float(threshold),
        cost_false_negative=_float_or_none(params.get("evaluation.cost.false_negative")),
        cost_false_positive=_float_or_none(params.get("evaluation.cost.false_positive")),
        test_metrics=test,
        gate_reason=str(ref.tags.get("gate_reason", "")),
        tracking_uri=ref.tracking_uri,
        loaded_at=now(),
    )


# ---- similar clients ----------------------------------------------------------------------------------------
class NeighbourIndex:
    """Nearest known clients on a few numeric features (standardised: median and spread of the known)."""

    def __init__(self, features: np.ndarray, known: np.ndarray, columns: list[int], k: int) -> None:
        from sklearn.neighbors import NearestNeighbors

        self.columns, self.known, self.k = columns, known, k
        self.index = None
        if not columns or len(known) == 0:
            return
        values = features[np.ix_(known, columns)].astype("float64")
        with np.errstate(all="ignore"):
            self.centre = np.nan_to_num(np.nanmedian(values, axis=0))
            scale = np.nanstd(values, axis=0)
        self.scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        self.index = NearestNeighbors(n_neighbors=min(k + 1, len(known))).fit(self.standardise(values))

    def standardise(self, values: np.ndarray) -> np.ndarray:
        z = (np.asarray(values, dtype="float64") - self.centre) / self.scale
        return np.nan_to_num(z, nan=0.0)

    def of(self, features_row: np.ndarray, exclude: int | None = None) -> np.ndarray:
        """Positions (in the store) of the most similar known clients, `exclude` (the client) left out."""
        if self.index is None:
            return np.array([], dtype="int64")
        _, idx = self.index.kneighbors(self.standardise(features_row[self.columns][None, :]))
        positions = self.known[idx[0]]
        positions = positions[positions != exclude] if exclude is not None else positions
        return positions[: self.k]


# ---- one version --------------------------------------------------------------------------------------------
class ChampionVersion:
    """One loaded champion version and everything precomputed for it."""

    def __init__(
        self, pyfunc: Any, pipeline: ScoringPipeline, card: ModelCard, store: ClientStore, cfg: ServingConfig
    ) -> None:
        self.pyfunc, self.pipeline, self.card, self.cfg, self.store = pyfunc, pipeline, card, cfg, store
        self.threshold = float(pipeline.threshold)
        pre = pipeline.preprocessor
        self.ds: DatasetConfig = pre.dataset
        self.feature_names: list[str] = list(pipeline.feature_names)
        self.column_index = {c: j for j, c in enumerate(self.feature_names)}
        self.application_columns: list[str] = list(pre.application_columns_)
        self.side_columns: list[str] = list(pre.side_columns_)
        self.table = application_table(self.ds)
        self.declared: dict[str, ColumnType] = self.table.types
        categorical = categorical_columns(self.ds)
        self.labeller = Labeller(cfg.plain_words, categorical)
        self.labellers = {  # the reasons' words in each language (English, then serving.translations)
            "en": self.labeller,
            **{k: Labeller(cfg.plain_words, categorical, w, k) for k, w in cfg.translations.items()},
        }

        start = time.perf_counter()
        self.features = self.features_in_chunks(len(store), store.rows)  # before imputation (what people see)
        self.matrix = pipeline.impute(self.features)  # what the model scores
        rng = np.random.default_rng(cfg.seed)
        known = store.known_positions()
        self.context_positions = np.sort(
            rng.choice(known, size=min(cfg.context_rows, len(known)), replace=False)
        )
        self.groups = feature_groups(self.feature_names, pre.encoder_, self.declared)
        self.reasoner = Reasoner(self.groups, self.labeller, self.features[self.context_positions])
        sample = self.context_positions[: min(cfg.importance_rows, len(self.context_positions))]
        self.importance = self.reasoner.importance(self.contributions(self.matrix[sample]))
        columns = what_if_columns(self, cfg.what_if_fields, list(self.importance["feature"]))
        self.form = what_if_fields(self, columns)  # the configured fields, else the most important columns
        self.numeric = [g.name for g in self.groups if g.kind == NUMERIC]
        numeric = set(self.numeric)
        top = [f for f in self.importance["feature"] if f in numeric][: cfg.neighbour_features]
        self.neighbours = NeighbourIndex(
            self.features, known, [self.column_index[f] for f in top], cfg.neighbours
        )
        self.prepare_seconds = time.perf_counter() - start

    # -- rows -> model
    def notices(self, row: dict[str, Any]) -> list[str]:
        """Plausibility notices of one raw application (`data.plausibility.row_notices`): numbers outside
        `dataset.plausibility`, category levels the champion's encoder never saw."""
        levels = getattr(self.pipeline.preprocessor.encoder_, "levels_", {})
        return row_notices(row, getattr(self.ds, "plausibility", []), levels)  # [] for older champions

    def notices_of_columns(self, columns: Mapping[str, np.ndarray]) -> list[str]:
        """`notices` of the first row of raw columns (name -> values), reading only the columns the notices
        look at (the plausible ranges, the encoded categories) instead of all ~700."""
        levels = getattr(self.pipeline.preprocessor.encoder_, "levels_", {})
        looked_at = [r.column for r in getattr(self.ds, "plausibility", [])] + list(levels)
        return self.notices({c: columns[c][0] for c in dict.fromkeys(looked_at) if c in columns})

    def features_of_rows(self, rows: pd.DataFrame) -> np.ndarray:
        """float32 feature rows (training column order, before imputation) of raw applicant rows, built by
        the pyfunc's own preprocessing (as `predict` does)."""
        return self.pipeline.features_of_rows(rows)

    def features_of_columns(self, columns: Mapping[str, np.ndarray], n: int = 1) -> np.ndarray:
        """`features_of_rows` of n raw rows given column by column (as MLflow's `inputs` are scored)."""
        return self.pipeline.features_of_columns(columns, n)

    def features_in_chunks(self, n: int, rows_at: Callable[[slice], pd.DataFrame]) -> np.ndarray:
        """`features_of_rows` of n rows, `chunk_rows` at a time (`rows_at(slice)`: those raw rows): the
        memory of one chunk's raw rows, not all of them."""
        out = np.empty((n, len(self.feature_names)), dtype=MATRIX_DTYPE)
        for start in range(0, n, self.cfg.chunk_rows):
            chunk = slice(start, min(start + self.cfg.chunk_rows, n))
            out[chunk] = self.features_of_rows(rows_at(chunk))
        return out

    def impute(self, features: np.ndarray) -> np.ndarray:
        """The model matrix of feature rows (the pipeline's imputer, when it has one)."""
        return self.pipeline.impute(features)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of prepared rows: the pyfunc pipeline's own computation."""
        return np.asarray(self.pipeline.probability_of_matrix(matrix), dtype="float64")

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """SHAP contributions to the model's log-odds of prepared rows (the model's own kind of SHAP)."""
        return self.pipeline.contributions(matrix)

    def points(self, matrix: np.ndarray) -> pd.DataFrame | None:
        """A scorecard champion's points breakdown of one model row (label, variable, bin, points,
        best_points, points_lost; most points lost first); None when the champion has no points."""
        table = self.pipeline.model.points_breakdown(matrix[:1])
        if table is None:
            return None
        return table.assign(label=[self.labeller.label(v) for v in table["variable"]])[POINTS_SHOWN]

    # -- one result
    def result(
        self,
        features: np.ndarray,
        client_id: int | None,
        source: str,
        outcome: str | None,
        matrix: np.ndarray | None = None,
        lang: str = "en",
    ) -> ScoreResult:
        """Score, decision and reasons (in `lang`) of one feature row (its model row: imputed unless given)."""
        matrix = self.impute(features) if matrix is None else matrix
        p = float(self.probability(matrix)[0])
        refused = bool(decisions(np.array([p]), self.threshold)[0])
        labeller = self.labellers.get(lang, self.labeller)
        reasons = self.reasoner.reasons(
            features[0], self.contributions(matrix)[0], self.cfg.reasons, labeller
        )
        return ScoreResult(
            client_id,
            source,
            p,
            self.threshold,
            refused,
            reasons,
            self.card.version,
            outcome,
            features[0],
            points=self.points(matrix),
        )
