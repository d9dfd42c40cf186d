"""Serving the champion to the relationship managers' app: configuration, clients, scores, reload.

- `AppConfig` (conf/serving/app.yaml): where the app binds, how it authenticates, where the clients' data
  is, how often it checks the alias, how many reasons and neighbours it shows, the plain-words labels.
- `ClientStore`: the raw applicant rows the pyfunc scores (application columns + side-table aggregates) of
  the production clients (application_test) and the known clients (application_train, with their outcome).
- `ChampionVersion`: the model behind `models:/<name>@<alias>` at one version, loaded once, with what the
  app needs precomputed once per version: every client's feature row (the pyfunc's own preprocessing), the
  SHAP explainer, the reasons' reference quantiles, the global importance and the neighbours index.
- `ScoringService`: what the app calls. Scores by client id (a numpy row to the booster, no pandas on the
  path), from a dict of fields (what-if, new client), from a CSV (batch), the context charts' data, the
  model card; checks the alias on an interval and swaps in a new champion without a restart.

Probabilities are the pyfunc pipeline's own (`ScoringPipeline.probability_of_matrix` of the rows its
`preprocessor` builds): the app shows what `mlflow.pyfunc.load_model("models:/credit_scoring@champion")`
returns on the same rows. Problems with a user's input raise `InputDataError` with a message for people.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from credit_scoring.config import PROJECT_ROOT, ColumnType, DatasetConfig
from credit_scoring.errors import ConfigError, CreditScoringError, InputDataError
from credit_scoring.modelling.costs import decisions
from credit_scoring.modelling.models import MATRIX_DTYPE
from credit_scoring.serving.explain import (
    CATEGORY,
    NUMERIC,
    SMALL_BATCH,
    ContributionExplainer,
    Labeller,
    Reason,
    Reasoner,
    feature_groups,
)

log = logging.getLogger(__name__)

DEFAULT_APP_CONFIG = PROJECT_ROOT / "conf" / "serving" / "app.yaml"
ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
SQLITE_PREFIX = "sqlite:///"
GRANTED, REFUSED = "granted", "refused"
REPAID, DEFAULTED = "repaid", "defaulted"
PRODUCTION, KNOWN, NEW, WHAT_IF = "production", "known", "new", "what-if"
MAX_LISTED = 10  # column names listed in one error message


def project_path(path: str | Path) -> Path:
    """A configured path: absolute as given, relative to the project root otherwise."""
    p = Path(path)
    return p if p.is_absolute() else PROJECT_ROOT / p


@dataclass(frozen=True)
class RegistrySettings:
    tracking_uri: str
    model_name: str
    alias: str


def registry_settings(cfg: AppConfig) -> RegistrySettings:
    """Tracking URI (MLFLOW_TRACKING_URI when set; a relative SQLite path is taken from the project root),
    model name and alias from the registry configuration the pipeline uses."""
    path = project_path(cfg.registry)
    if not path.is_file():
        raise ConfigError(f"{path}: registry configuration not found")
    reg = OmegaConf.load(path)
    try:
        uri, name, alias = str(reg.tracking_uri), str(reg.model_name), str(reg.alias)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{path}: needs tracking_uri, model_name and alias ({exc})") from None
    uri = os.environ.get(ENV_TRACKING_URI) or uri
    if uri.startswith(SQLITE_PREFIX) and not uri[len(SQLITE_PREFIX) :].startswith("/"):
        uri = SQLITE_PREFIX + str(project_path(uri[len(SQLITE_PREFIX) :]))
    return RegistrySettings(uri, name, alias)


# ---- access -------------------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def credentials_from_env(cfg: AuthConfig, environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(user, password) from the configured environment variables; None when neither is set."""
    env = os.environ if environ is None else environ
    user, password = env.get(cfg.user_env, ""), env.get(cfg.password_env, "")
    if not user and not password:
        return None
    if not user or not password:
        missing = cfg.user_env if not user else cfg.password_env
        raise ConfigError(
            f"authentication: {missing} is empty while the other variable is set; set both or neither"
        )
    return user, password


def check_binding(host: str, credentials: tuple[str, str] | None, allow_public_without_auth: bool) -> None:
    """Refuse to listen beyond loopback without authentication, unless explicitly allowed."""
    if credentials is None and not is_loopback(host) and not allow_public_without_auth:
        raise ConfigError(
            f"refusing to bind {host} without authentication: set the user and password environment "
            "variables (conf/serving/app.yaml auth), bind 127.0.0.1, or set allow_public_without_auth=true"
        )


# ---- clients ------------------------------------------------------------------------------------------------
class ClientStore:
    """Raw applicant rows of the production and known clients, by id.

    Application rows (typed, as the ingest stage wrote them) and side features (the merge stage's table,
    by id) are kept apart and joined per request / per chunk, like the data stages' left join.
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
        self.side = None if side is None else side.set_index(ds.id)
        self.side_columns: list[str] = [] if side is None else list(self.side.columns)
        self.key: tuple = ()  # what the rows were read for (dataset id, tables, side features)

    @classmethod
    def from_stage_outputs(
        cls, ingest_dir: Path | str, merge_dir: Path | str, ds: DatasetConfig, side_features: bool
    ) -> ClientStore:
        """Production clients first (application_test), then the known ones (application_train)."""
        frames, sources = [], []
        tables = [(ds.production_table, PRODUCTION), (ds.train_table, KNOWN)]
        for table, source in tables:
            if table is None:
                continue
            path = Path(ingest_dir) / f"{table}.parquet"
            if not path.is_file():
                raise InputDataError(f"{path}: not found (run the pipeline first: make run)")
            frame = pd.read_parquet(path)
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
        side = None
        if side_features:
            from credit_scoring.features.merge import SIDE_FEATURES_FILE

            path = Path(merge_dir) / SIDE_FEATURES_FILE
            if not path.is_file():
                raise InputDataError(f"{path}: not found (run the pipeline first: make run)")
            side = pd.read_parquet(path)
            values = [c for c in side.columns if c != ds.id]
            side[values] = side[values].astype(MATRIX_DTYPE)  # the features' own precision: half the memory
        return cls(app, side, ds, source)

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, client_id: int) -> int | None:
        return self.position.get(int(client_id))

    def rows(self, positions: np.ndarray | slice) -> pd.DataFrame:
        """Raw applicant rows (application columns + side features) at positions, target dropped."""
        app = self.app.iloc[positions].drop(columns=[self.ds.target], errors="ignore").reset_index(drop=True)
        return self.with_side(app)

    def with_side(self, app: pd.DataFrame) -> pd.DataFrame:
        """Application rows left-joined with the stored side features of their ids (new ids: missing)."""
        if self.side is None:
            return app
        side = self.side.reindex(app[self.ds.id].to_numpy(dtype="float64", na_value=np.nan))
        side.index = app.index
        return pd.concat([app, side], axis=1)

    def known_positions(self) -> np.ndarray:
        return np.flatnonzero((self.source == KNOWN) & ~np.isnan(self.outcome))


# ---- the champion at one version ----------------------------------------------------------------------------
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


def _iso(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _now() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def model_card(client: Any, reg: RegistrySettings, version: Any, threshold: float) -> ModelCard:
    """The card of a registered version: its run, training time, test metrics and cost weights."""
    run = client.get_run(version.run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    test = {k[len("test_") :]: float(v) for k, v in sorted(metrics.items()) if k.startswith("test_")}
    return ModelCard(
        model_name=reg.model_name,
        alias=reg.alias,
        version=str(version.version),
        run_id=str(version.run_id),
        run_name=str(tags.get("mlflow.runName", run.info.run_name or "")),
        model_kind=str(tags.get("model_kind", "")),
        trained_at=_iso(run.info.end_time or run.info.start_time),
        registered_at=_iso(version.creation_timestamp),
        threshold=float(threshold),
        cost_false_negative=_float_or_none(params.get("evaluation.cost.false_negative")),
        cost_false_positive=_float_or_none(params.get("evaluation.cost.false_positive")),
        test_metrics=test,
        gate_reason=str((version.tags or {}).get("gate_reason", "")),
        tracking_uri=reg.tracking_uri,
        loaded_at=_now(),
    )


class ChampionVersion:
    """One loaded champion version and everything precomputed for it."""

    def __init__(self, pyfunc: Any, card: ModelCard, store: ClientStore, cfg: AppConfig) -> None:
        python_model = pyfunc.unwrap_python_model()
        pipeline = getattr(python_model, "pipeline", None)
        if pipeline is None or not hasattr(pipeline, "probability_of_matrix"):
            raise ConfigError(
                f"{card.model_name} version {card.version} is not a credit_scoring pipeline "
                f"({type(python_model).__name__}): the app serves CreditScoringModel pyfuncs only"
            )
        self.pyfunc, self.pipeline, self.card, self.cfg, self.store = pyfunc, pipeline, card, cfg, store
        self.threshold = float(pipeline.threshold)
        pre = pipeline.preprocessor
        self.ds: DatasetConfig = pre.dataset
        self.feature_names: list[str] = list(pipeline.feature_names)
        self.column_index = {c: j for j, c in enumerate(self.feature_names)}
        self.application_columns: list[str] = list(pre.application_columns_)
        self.side_columns: list[str] = list(pre.side_columns_)
        from credit_scoring.scoring.pipeline import application_table

        self.table = application_table(self.ds)
        self.declared: dict[str, ColumnType] = self.table.types
        self.labeller = Labeller(cfg.plain_words)
        self.explainer = ContributionExplainer(pipeline.model)

        start = time.perf_counter()
        self.features = self._features_of_store(store)  # before imputation (what people see)
        self.matrix = self._impute(self.features)  # what the model scores
        rng = np.random.default_rng(cfg.seed)
        known = store.known_positions()
        self.context_positions = np.sort(
            rng.choice(known, size=min(cfg.context_rows, len(known)), replace=False)
        )
        self.groups = feature_groups(self.feature_names, pre.encoder_, self.declared)
        self.reasoner = Reasoner(self.groups, self.labeller, self.features[self.context_positions])
        sample = self.context_positions[: min(cfg.importance_rows, len(self.context_positions))]
        self.importance = self.reasoner.importance(self.explainer.contributions(self.matrix[sample]))
        self._build_neighbours(store, known)
        self.prepare_seconds = time.perf_counter() - start
        self.store_key: tuple = store.key

    # -- rows -> model
    def _impute(self, features: np.ndarray) -> np.ndarray:
        """The model matrix of feature rows (the pipeline's imputer, when it has one)."""
        return self.pipeline.impute(features)

    def features_of_rows(self, rows: pd.DataFrame) -> np.ndarray:
        """float32 feature rows (training column order, before imputation) of raw applicant rows, built by
        the pyfunc's own preprocessing (`ApplicantPreprocessor.transform_matrix`, as `predict` does)."""
        return self.pipeline.preprocessor.transform_matrix(rows).astype(MATRIX_DTYPE, copy=False)

    def _features_of_store(self, store: ClientStore) -> np.ndarray:
        out = np.empty((len(store), len(self.feature_names)), dtype="float32")
        step = self.cfg.chunk_rows
        for start in range(0, len(store), step):
            stop = min(start + step, len(store))
            out[start:stop] = self.features_of_rows(store.rows(slice(start, stop)))
        return out

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of prepared rows: the pyfunc pipeline's own computation.

        A few LightGBM rows go to the booster single-threaded (the same trees, the same numbers: rows are
        scored independently), so that one client does not pay for starting OpenMP threads on busy cores.
        """
        if self.explainer.kind == "lightgbm" and len(matrix) <= SMALL_BATCH:
            raw = self.pipeline.model.booster.predict(matrix, num_threads=1)
            return np.asarray(self.pipeline.calibrator.transform(raw), dtype="float64")
        return np.asarray(self.pipeline.probability_of_matrix(matrix), dtype="float64")

    # -- neighbours
    def _build_neighbours(self, store: ClientStore, known: np.ndarray) -> None:
        from sklearn.neighbors import NearestNeighbors

        numeric = {g.name for g in self.groups if g.kind == NUMERIC}
        top = [f for f in self.importance["feature"] if f in numeric][: self.cfg.neighbour_features]
        self.neighbour_columns = [self.column_index[f] for f in top]
        self.known_positions = known
        self.known_outcome = store.outcome[known]
        if not self.neighbour_columns or len(known) == 0:
            self._neighbours = None
            return
        values = self.features[np.ix_(known, self.neighbour_columns)].astype("float64")
        with np.errstate(all="ignore"):
            self._centre = np.nan_to_num(np.nanmedian(values, axis=0))
            scale = np.nanstd(values, axis=0)
        self._scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        k = min(self.cfg.neighbours + 1, len(known))
        self._neighbours = NearestNeighbors(n_neighbors=k).fit(self._standardise(values))

    def _standardise(self, values: np.ndarray) -> np.ndarray:
        z = (np.asarray(values, dtype="float64") - self._centre) / self._scale
        return np.nan_to_num(z, nan=0.0)

    def neighbours(self, features_row: np.ndarray, exclude: int | None = None) -> np.ndarray:
        """Positions (in the store) of the most similar known clients, the client itself excluded."""
        if self._neighbours is None:
            return np.array([], dtype="int64")
        z = self._standardise(features_row[self.neighbour_columns][None, :])
        _, idx = self._neighbours.kneighbors(z)
        positions = self.known_positions[idx[0]]
        positions = positions[positions != exclude] if exclude is not None else positions
        return positions[: self.cfg.neighbours]


# ---- results ------------------------------------------------------------------------------------------------
@dataclass
class ScoreResult:
    """A client's score, decision and reasons, in the champion's terms."""

    client_id: int | None
    source: str  # production | known | new | what-if
    probability: float
    threshold: float
    refused: bool
    reasons: list[Reason]
    model_version: str
    outcome: str | None = None  # known clients: repaid / defaulted
    features: np.ndarray | None = field(default=None, repr=False)  # the feature row (context charts)

    @property
    def decision(self) -> str:
        return REFUSED if self.refused else GRANTED

    @property
    def distance(self) -> float:
        """Probability minus threshold (positive: refused side)."""
        return self.probability - self.threshold

    def summary(self) -> str:
        """One sentence for the client: decision, probability and distance to the threshold in points."""
        points = abs(self.distance) * 100
        side = "above" if self.distance >= 0 else "below"
        return (
            f"Credit {self.decision}: the estimated probability of default is {self.probability:.1%}, "
            f"{points:.1f} percentage points {side} the threshold of {self.threshold:.1%} "
            f"(refused at or above the threshold)."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "source": self.source,
            "probability": self.probability,
            "decision": self.decision,
            "refused": self.refused,
            "threshold": self.threshold,
            "distance_to_threshold": self.distance,
            "summary": self.summary(),
            "reasons": [r.to_dict() for r in self.reasons],
            "model_version": self.model_version,
            "known_outcome": self.outcome,
        }


@dataclass
class FieldInfo:
    """An editable field of the what-if form, in the unit shown to people."""

    column: str
    label: str
    kind: str  # numeric | flag | category
    unit: str
    choices: list[str]
    integer: bool


@dataclass
class BatchResult:
    frame: pd.DataFrame
    summary: str


# ---- input parsing ------------------------------------------------------------------------------------------
def parse_client_id(value: Any) -> int:
    """An integer client id from text or a number; InputDataError otherwise."""
    if isinstance(value, bool):
        raise InputDataError(f"client id {value!r} is not a whole number")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value if value is not None else "").strip()
    if not text:
        raise InputDataError("enter a client id (SK_ID_CURR), e.g. 100002")
    try:
        number = float(text)
    except ValueError:
        raise InputDataError(f"client id {text!r} is not a number (SK_ID_CURR is a whole number)") from None
    if not math.isfinite(number) or not number.is_integer():
        raise InputDataError(f"client id {text!r} is not a whole number")
    return int(number)


FLAG_TEXT = {"0": 0, "1": 1, "n": 0, "y": 1, "no": 0, "yes": 1, "false": 0, "true": 1, "0.0": 0, "1.0": 1}


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_value(column: str, kind: ColumnType, value: Any) -> Any:
    """A field's value as the pipeline reads it (float for numbers and flags, text for categories)."""
    if _is_missing(value):
        return None if kind is ColumnType.category else np.nan
    if kind is ColumnType.category:
        return str(value).strip()
    if kind is ColumnType.flag:
        key = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if key not in FLAG_TEXT:
            raise InputDataError(f"field {column}: {value!r} is not a yes/no value (use 1/0, Y/N or yes/no)")
        return float(FLAG_TEXT[key])
    if isinstance(value, bool):
        raise InputDataError(f"field {column}: {value!r} is not a number")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputDataError(f"field {column}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputDataError(f"field {column}: {value!r} is not a finite number")
    if kind is ColumnType.int and not number.is_integer():
        raise InputDataError(f"field {column}: {value!r} is not a whole number")
    return number


def _same(a: Any, b: Any) -> bool:
    """Form values equal (numbers compared as numbers, missing equal to missing)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" (and {len(names) - MAX_LISTED} more)" if len(names) > MAX_LISTED else "")


# ---- the service ----------------------------------------------------------------------------------------------
class ScoringService:
    """The champion behind the alias, the clients, and every question the app asks them."""

    def __init__(
        self,
        cfg: AppConfig,
        loader: Callable[[str], Any] | None = None,
        mlflow_client: Any = None,
    ) -> None:
        import mlflow
        from mlflow.tracking import MlflowClient

        from credit_scoring.tracking.store import use_tracking_uri

        self.cfg = cfg
        self.registry = registry_settings(cfg)
        uri = self.registry.tracking_uri
        # an absent SQLite store is reported, never created
        if uri.startswith(SQLITE_PREFIX) and not Path(uri[len(SQLITE_PREFIX) :]).is_file():
            raise ConfigError(f"no MLflow store at {uri} (run the pipeline first: make run)")
        use_tracking_uri(self.registry.tracking_uri)
        self.client = mlflow_client or MlflowClient(self.registry.tracking_uri, self.registry.tracking_uri)
        self._load_model = loader or mlflow.pyfunc.load_model
        self._swap_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._current: ChampionVersion | None = None
        self._failed_version: str | None = None
        self.last_check: str = ""
        self.last_check_error: str = ""
        self.refresh()

    # -- champion lifecycle
    @property
    def champion(self) -> ChampionVersion:
        current = self._current
        if current is None:
            raise ConfigError("no champion loaded")
        return current

    def _alias_version(self) -> Any:
        from mlflow.exceptions import MlflowException

        reg = self.registry
        try:
            return self.client.get_model_version_by_alias(reg.model_name, reg.alias)
        except MlflowException as exc:
            raise ConfigError(
                f"no version of model {reg.model_name!r} holds the alias @{reg.alias} in {reg.tracking_uri} "
                f"(run the pipeline: make run): {str(exc).splitlines()[0][:200]}"
            ) from None

    @property
    def store(self) -> ClientStore:
        """The clients of the version served."""
        return self.champion.store

    def _store_for(self, pre: Any) -> ClientStore:
        """The clients' rows for a preprocessor: the current store when the dataset is the same, else read."""
        ds = pre.dataset
        key = (ds.id, ds.target, ds.train_table, ds.production_table, bool(pre.side_columns_))
        current = self._current
        if current is not None and getattr(current, "store_key", None) == key:
            return current.store
        store = ClientStore.from_stage_outputs(
            project_path(self.cfg.ingest_dir), project_path(self.cfg.merge_dir), ds, key[-1]
        )
        store.key = key
        return store

    def refresh(self, retry_failed: bool = False) -> bool:
        """Load the version holding the alias if it is not the one served; True when it changed.

        The new version is prepared while the old one keeps serving, then swapped in one assignment. A
        version that failed to load is not tried again on every check (only with `retry_failed`, the
        app's button): the current one keeps serving and the error is reported in `model_info`.
        """
        with self._reload_lock:
            self.last_check = _now()
            try:
                version = self._alias_version()
            except ConfigError as exc:
                self.last_check_error = str(exc)
                if self._current is None:
                    raise
                log.warning(
                    "alias check failed, still serving version %s: %s", self._current.card.version, exc
                )
                return False
            number = str(version.version)
            if self._current is not None and number == self._current.card.version:
                self.last_check_error = ""
                return False
            if self._current is not None and self._failed_version == number and not retry_failed:
                return False
            try:
                loaded = self._load(version)
            except Exception as exc:
                self._failed_version = number
                self.last_check_error = f"version {number} could not be loaded: {user_message(exc)}"
                if self._current is None:
                    raise
                log.exception(
                    "version %s could not be loaded; still serving %s", number, self._current.card.version
                )
                return False
            with self._swap_lock:
                self._current = loaded
            self._failed_version = None
            self.last_check_error = ""
            return True

    def _load(self, version: Any) -> ChampionVersion:
        reg = self.registry
        start = time.perf_counter()
        pyfunc = self._load_model(f"models:/{reg.model_name}/{version.version}")
        pipeline = getattr(pyfunc.unwrap_python_model(), "pipeline", None)
        card = model_card(self.client, reg, version, float(getattr(pipeline, "threshold", np.nan)))
        if pipeline is None or not hasattr(pipeline, "preprocessor"):
            raise ConfigError(f"{reg.model_name} version {card.version} is not a credit_scoring pipeline")
        store = self._store_for(pipeline.preprocessor)
        loaded = ChampionVersion(pyfunc, card, store, self.cfg)
        log.info(
            "serving %s version %s (loaded in %.1f s, %d clients prepared in %.1f s)",
            reg.model_name,
            card.version,
            time.perf_counter() - start,
            len(store),
            loaded.prepare_seconds,
        )
        return loaded

    def start_watcher(self) -> None:
        """Check the alias every `reload_seconds` in a daemon thread (no-op when 0)."""
        if self.cfg.reload_seconds <= 0 or self._watcher is not None:
            return

        def watch() -> None:
            while not self._stop.wait(self.cfg.reload_seconds):
                try:
                    self.refresh()
                except Exception:  # keep serving the current version whatever happens
                    log.exception("reloading the champion failed")

        self._watcher = threading.Thread(target=watch, name="champion-watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()

    def model_info(self) -> dict[str, Any]:
        info = self.champion.card.to_dict()
        info["last_alias_check"] = self.last_check
        info["last_alias_check_error"] = self.last_check_error
        info["reload_seconds"] = self.cfg.reload_seconds
        return info

    # -- scoring
    def _result(
        self,
        v: ChampionVersion,
        features: np.ndarray,
        matrix: np.ndarray,
        client_id: int | None,
        source: str,
        outcome: str | None,
        k: int | None = None,
    ) -> ScoreResult:
        p = float(v.probability(matrix)[0])
        refused = bool(decisions(np.array([p]), v.threshold)[0])
        contributions = v.explainer.contributions(matrix)[0]
        reasons = v.reasoner.reasons(features[0], contributions, k or self.cfg.reasons)
        return ScoreResult(
            client_id, source, p, v.threshold, refused, reasons, v.card.version, outcome, features[0]
        )

    def _outcome(self, position: int, store: ClientStore | None = None) -> str | None:
        y = (store or self.store).outcome[position]
        return None if np.isnan(y) else (DEFAULTED if y == 1 else REPAID)

    def _position(self, client_id: Any, store: ClientStore | None = None) -> tuple[int, int]:
        cid = parse_client_id(client_id)
        position = (store or self.store).find(cid)
        if position is None:
            raise InputDataError(
                f"unknown client {cid}: no production or known client has this SK_ID_CURR "
                "(a new client can be scored from the What-if / new client tab)"
            )
        return cid, position

    def score_client(self, client_id: Any) -> ScoreResult:
        """Score, decision and reasons of a production or known client (precomputed feature row)."""
        v = self.champion  # one version for the whole request, even if a reload swaps it meanwhile
        cid, position = self._position(client_id, v.store)
        features = v.features[position : position + 1]
        matrix = v.matrix[position : position + 1]
        source, outcome = str(v.store.source[position]), self._outcome(position, v.store)
        return self._result(v, features, matrix, cid, source, outcome)

    def field_types(self) -> dict[str, ColumnType]:
        """Accepted fields: the application columns (declared types) and the side features (numbers)."""
        v = self.champion
        types = {c: v.declared[c] for c in v.application_columns if c in v.declared}
        types.update({c: ColumnType.float for c in v.side_columns})
        return types

    def row_from_fields(self, fields: dict[str, Any]) -> tuple[pd.DataFrame, int | None, int | None]:
        """A raw applicant row: the given fields over a known client's row (when the id is one) or empty.

        Returns (row, client id, store position of the base client or None).
        """
        if not isinstance(fields, dict):
            raise InputDataError("fields must be a JSON object of column names and values")
        v = self.champion
        id_col = v.ds.id
        types = self.field_types()
        unknown = sorted(k for k in fields if k not in types and k != id_col)
        if unknown:
            raise InputDataError(
                f"unknown field{'s' if len(unknown) > 1 else ''} {_listed(unknown)}: fields are the columns "
                "of application_test.csv (and the side-table features)"
            )
        client_id: int | None = None
        position: int | None = None
        if not _is_missing(fields.get(id_col)):
            client_id = parse_client_id(fields[id_col])
            position = self.store.find(client_id)
        if position is not None:
            base = self.store.rows(np.array([position])).iloc[0].to_dict()
        else:
            base = {c: None for c in types}
        row = {c: parse_value(c, kind, base.get(c)) for c, kind in types.items()}
        row.update({c: parse_value(c, types[c], val) for c, val in fields.items() if c != id_col})
        row[id_col] = float(client_id) if client_id is not None else np.nan
        # one construction from typed columns (a column-by-column astype of ~900 columns costs ~60 ms)
        columns = {
            c: np.array([row[c]], dtype=object if types.get(c) is ColumnType.category else "float64")
            for c in row
        }
        return pd.DataFrame(columns), client_id, position

    def score_fields(self, fields: dict[str, Any]) -> ScoreResult:
        """Score of an application given as fields (raw columns and units, as in application_test.csv).

        With the SK_ID_CURR of a known client, the fields replace that client's values (what-if); otherwise
        they describe a new client (fields not given are missing; no side-table history).
        """
        v = self.champion
        row, client_id, position = self.row_from_fields(fields)
        features = v.features_of_rows(row)
        source = WHAT_IF if position is not None else NEW
        outcome = None if position is None else self._outcome(position)
        return self._result(v, features, v._impute(features), client_id, source, outcome)

    # -- what-if form (shown units)
    def what_if_fields(self) -> list[FieldInfo]:
        v = self.champion
        encoder = v.pipeline.preprocessor.encoder_
        out = []
        for column in self.cfg.what_if_fields:
            kind = v.declared.get(column)
            if kind is None or column not in v.application_columns:
                continue
            spec = v.labeller.spec(column)
            choices = (
                list(getattr(encoder, "levels_", {}).get(column, [])) if kind is ColumnType.category else []
            )
            out.append(
                FieldInfo(
                    column=column,
                    label=v.labeller.label(column),
                    kind=CATEGORY
                    if kind is ColumnType.category
                    else ("flag" if kind is ColumnType.flag else NUMERIC),
                    unit=spec.unit,
                    choices=choices,
                    integer=kind is ColumnType.int and spec.scale == 1,
                )
            )
        return out

    def shown_values(self, client_id: Any | None) -> dict[str, Any]:
        """The what-if fields of a client in shown units (None: missing, or a "not known" sentinel such as
        DAYS_EMPLOYED 365243); all None without a client."""
        v = self.champion
        fields = self.what_if_fields()
        if client_id is None or _is_missing(client_id):
            return {f.column: None for f in fields}
        _, position = self._position(client_id)
        raw = self.store.app.iloc[position]
        sentinels = {(s.column, float(s.value)) for s in v.ds.sentinels}
        out: dict[str, Any] = {}
        for f in fields:
            value = raw[f.column]
            if _is_missing(value):
                out[f.column] = None
            elif f.kind == CATEGORY:
                out[f.column] = str(value)
            elif f.kind == "flag":
                out[f.column] = "yes" if float(parse_value(f.column, ColumnType.flag, value)) == 1 else "no"
            elif (f.column, float(value)) in sentinels:
                out[f.column] = None
            else:
                out[f.column] = round(float(v.labeller.shown(f.column, float(value))), 4)
        return out

    def raw_fields(self, shown: dict[str, Any], base_id: Any | None = None) -> dict[str, Any]:
        """What-if form values (shown units) back to raw columns and units.

        With a base client, only the fields whose value differs from the client's shown value are returned
        (the others keep the client's exact raw values); without one, every field is.
        """
        v = self.champion
        base = self.shown_values(base_id) if base_id is not None else None
        out: dict[str, Any] = {}
        for f in self.what_if_fields():
            if f.column not in shown:
                continue
            value = None if _is_missing(shown[f.column]) else shown[f.column]
            if base is not None and _same(value, base.get(f.column)):
                continue
            if f.kind == NUMERIC and value is not None:
                number = parse_value(f.label, ColumnType.float, value)
                raw = v.labeller.raw(f.column, number)
                out[f.column] = round(raw) if v.declared[f.column] is ColumnType.int else raw
            else:
                out[f.column] = value
        if base_id is not None:
            out[v.ds.id] = parse_client_id(base_id)
        return out

    # -- batch
    def score_csv(self, path: Path | str, name: str | None = None) -> BatchResult:
        """Score a CSV of applications (the columns of application_test.csv; side features optional).

        Side-table features: the file's own when it has any of them, else the stored ones of its ids.
        """
        from credit_scoring.data.tables import read_header, read_raw_csv, validate_table

        v = self.champion
        path = Path(path)
        file = name or path.name
        header = read_header(path)
        missing = [c for c in v.table.types if c not in header]
        if missing:
            raise InputDataError(
                f"{file}: {len(missing)} required column{'s are' if len(missing) > 1 else ' is'} missing: "
                f"{_listed(missing)}. The file must have the columns of application_test.csv, comma-separated "
                f"(its header has {len(header)} column{'s' if len(header) != 1 else ''})."
            )
        try:
            raw = read_raw_csv(path, v.table, v.ds.error_examples)
        except InputDataError as exc:
            raise InputDataError(str(exc).replace(path.name, file)) from None
        if len(raw.frame) > self.cfg.batch_max_rows:
            raise InputDataError(
                f"{file}: {len(raw.frame):,} rows, more than the {self.cfg.batch_max_rows:,} allowed"
            )
        app = validate_table(raw.frame, v.table, file=file, examples=v.ds.error_examples)
        own_side = [c for c in v.side_columns if c in app.columns]
        rows = app if own_side or not v.side_columns else self.store.with_side(app)
        features = np.concatenate(
            [
                v.features_of_rows(rows.iloc[s : s + self.cfg.chunk_rows].reset_index(drop=True))
                for s in range(0, len(rows), self.cfg.chunk_rows)
            ]
        )
        matrix = v._impute(features)
        p = v.probability(matrix)
        refused = decisions(p, v.threshold).astype(bool)
        contributions = v.explainer.contributions(matrix)
        k = self.cfg.batch_reasons
        reasons = [
            [r.text for r in v.reasoner.reasons(features[i], contributions[i], k)] for i in range(len(rows))
        ]
        out = pd.DataFrame(
            {
                v.ds.id: app[v.ds.id].astype("Int64"),
                "probability": np.round(p, 6),
                "decision": np.where(refused, REFUSED, GRANTED),
                "threshold": round(v.threshold, 6),
                "distance_to_threshold": np.round(p - v.threshold, 6),
            }
        )
        for j in range(k):
            out[f"reason_{j + 1}"] = [r[j] if j < len(r) else "" for r in reasons]
        out["model_version"] = v.card.version
        side_note = (
            "its own side-table features" if own_side else "the stored side-table history of known ids"
        )
        summary = (
            f"{file}: {len(out):,} applications scored by {v.card.model_name} version {v.card.version} "
            f"({int(refused.sum()):,} refused, {int((~refused).sum()):,} granted; threshold {v.threshold:.1%}; "
            f"{side_note})."
        )
        return BatchResult(out, summary)

    # -- context
    def choices(self) -> list[tuple[str, str]]:
        """(label, feature) of the numeric features, most important first (for the context charts)."""
        v = self.champion
        numeric = {g.name for g in v.groups if g.kind == NUMERIC}
        return [
            (f"{label}", f)
            for f, label in zip(v.importance["feature"], v.importance["label"], strict=True)
            if f in numeric
        ]

    def importance(self, top: int = 15) -> pd.DataFrame:
        return self.champion.importance.head(top)

    def _values(self, v: ChampionVersion, feature: str, positions: np.ndarray) -> np.ndarray:
        if feature not in v.column_index:
            raise InputDataError(f"unknown feature {feature!r}")
        raw = v.features[positions, v.column_index[feature]].astype("float64")
        return v.labeller.shown(feature, raw)

    def _outcomes(self, positions: np.ndarray) -> np.ndarray:
        y = self.store.outcome[positions]
        return np.where(y == 1, DEFAULTED, REPAID)

    def distribution(self, feature: str, result: ScoreResult | None) -> dict[str, Any]:
        """A feature's values (shown unit) for the known clients and for the client's nearest neighbours,
        with their outcome, and the client's own value."""
        v = self.champion
        everyone = v.context_positions
        frame_all = pd.DataFrame(
            {"value": self._values(v, feature, everyone), "outcome": self._outcomes(everyone)}
        )
        similar = pd.DataFrame(columns=["value", "outcome"])
        client_value = None
        if result is not None and result.features is not None:
            exclude = self.store.find(result.client_id) if result.client_id is not None else None
            near = v.neighbours(result.features, exclude)
            similar = pd.DataFrame({"value": self._values(v, feature, near), "outcome": self._outcomes(near)})
            raw = float(result.features[v.column_index[feature]])
            client_value = None if np.isnan(raw) else float(v.labeller.shown(feature, raw))
        return {
            "feature": feature,
            "label": v.labeller.label(feature),
            "unit": v.labeller.spec(feature).unit,
            "all": frame_all.dropna(),
            "similar": similar.dropna(),
            "client_value": client_value,
            "k": self.cfg.neighbours,
        }

    def bivariate(self, x: str, y: str, result: ScoreResult | None) -> dict[str, Any]:
        """Two features (shown units) of a sample of known clients with their outcome, and the client."""
        v = self.champion
        positions = v.context_positions[: self.cfg.scatter_rows]
        frame = pd.DataFrame(
            {
                "x": self._values(v, x, positions),
                "y": self._values(v, y, positions),
                "outcome": self._outcomes(positions),
            }
        ).dropna()
        client = None
        if result is not None and result.features is not None:
            cx, cy = (float(result.features[v.column_index[f]]) for f in (x, y))
            if not (np.isnan(cx) or np.isnan(cy)):
                client = (float(v.labeller.shown(x, cx)), float(v.labeller.shown(y, cy)))
        labels = {
            f: v.labeller.label(f) + (f" ({v.labeller.spec(f).unit})" if v.labeller.spec(f).unit else "")
            for f in (x, y)
        }
        return {"frame": frame, "client": client, "x_label": labels[x], "y_label": labels[y]}

    def example_ids(self, n: int = 3) -> dict[str, list[int]]:
        """A few production and known client ids (for the page's hints)."""
        out = {}
        for source in (PRODUCTION, KNOWN):
            ids = self.store.ids[self.store.source == source][:n]
            out[source] = [int(i) for i in ids]
        return out


def user_message(exc: BaseException) -> str:
    """The message shown for an error: the project's own messages as they are, others summarised."""
    if isinstance(exc, CreditScoringError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {str(exc)[:300]}"
