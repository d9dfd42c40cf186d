"""`ScoringService`: what the app calls. It serves the version holding the registry alias
(`credit_scoring.tracking.champion`), checks the alias on an interval in a watcher thread and swaps a new
champion in without a restart (the old one serves while the new one is prepared; a version that fails to
load leaves the current one serving), and answers every request against one `ChampionVersion`:
scores by client id, from fields (what-if, new client) and from a CSV, the what-if form, the context charts.

Configuration: the pipeline's own (`Config`): `serving` (the app), `registry` (the store, model and alias;
MLFLOW_TRACKING_URI wins), `paths` (the stage outputs, relative paths taken from the project root).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import PROJECT_ROOT, ColumnType, Config, PathsConfig
from credit_scoring.errors import ConfigError, CreditScoringError
from credit_scoring.io.catalog import Catalog
from credit_scoring.scoring.pipeline import ScoringPipeline
from credit_scoring.serving import batch, context, counterfactual, requests
from credit_scoring.serving.batch import BatchResult
from credit_scoring.serving.champion import ChampionVersion, model_card, now
from credit_scoring.serving.clients import ClientStore, store_key
from credit_scoring.serving.counterfactual import Counterfactual
from credit_scoring.serving.explain import Labeller
from credit_scoring.serving.requests import FieldInfo
from credit_scoring.serving.results import NEW, WHAT_IF, ScoreResult, user_message
from credit_scoring.tracking.champion import ChampionRef, load_pipeline, require_champion
from credit_scoring.tracking.store import SQLITE_PREFIX, tracking_uri, use_tracking_uri

log = logging.getLogger(__name__)


def project_paths(paths: PathsConfig, root: Path = PROJECT_ROOT) -> PathsConfig:
    """`paths` with every relative path taken from `root` (the app may be started from anywhere)."""
    return dataclasses.replace(
        paths, **{f.name: str(root / getattr(paths, f.name)) for f in dataclasses.fields(paths)}
    )


class ScoringService:
    """The champion behind the alias, the clients, and every question the app asks them."""

    def __init__(
        self,
        cfg: Config,
        loader: Callable[[str], Any] | None = None,
        mlflow_client: Any = None,
        root: Path = PROJECT_ROOT,
    ) -> None:
        from mlflow.tracking import MlflowClient

        self.serving, self.registry = cfg.serving, cfg.registry
        self.catalog = Catalog(project_paths(cfg.paths, root))
        self.tracking_uri = tracking_uri(cfg.registry, root=root)
        uri = self.tracking_uri
        # an absent SQLite store is reported, never created
        if uri.startswith(SQLITE_PREFIX) and not Path(uri[len(SQLITE_PREFIX) :]).is_file():
            raise ConfigError(f"no MLflow store at {uri} (run the pipeline first: make run)")
        use_tracking_uri(uri)
        self.client = mlflow_client or MlflowClient(uri, uri)
        self._load_model = loader
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

    @property
    def store(self) -> ClientStore:
        """The clients of the version served."""
        return self.champion.store

    def _store_for(self, pipeline: ScoringPipeline) -> ClientStore:
        """The clients' rows for a pipeline: the current store when it reads the same rows, else read."""
        pre = pipeline.preprocessor
        current = self._current
        if current is not None and current.store.key == store_key(pre.dataset, pre.features):
            return current.store
        return ClientStore.from_stage_outputs(self.catalog, pre.dataset, pre.features)

    def refresh(self, retry_failed: bool = False) -> bool:
        """Load the version holding the alias if it is not the one served; True when it changed.

        The new version is prepared while the old one keeps serving, then swapped in one assignment. A
        version that failed to load is not tried again on every check (only with `retry_failed`, the
        app's button): the current one keeps serving and the error is reported in `model_info`.
        """
        with self._reload_lock:
            self.last_check = now()
            try:
                ref = require_champion(self.client, self.registry, self.tracking_uri)
            except CreditScoringError as exc:
                self.last_check_error = str(exc)
                if self._current is None:
                    raise
                log.warning(
                    "alias check failed, still serving version %s: %s", self._current.card.version, exc
                )
                return False
            if self._current is not None and ref.version == self._current.card.version:
                self.last_check_error = ""
                return False
            if self._current is not None and self._failed_version == ref.version and not retry_failed:
                return False
            try:
                loaded = self._load(ref)
            except Exception as exc:
                self._failed_version = ref.version
                self.last_check_error = f"version {ref.version} could not be loaded: {user_message(exc)}"
                if self._current is None:
                    raise
                log.exception(
                    "version %s could not be loaded; still serving %s",
                    ref.version,
                    self._current.card.version,
                )
                return False
            self._current = loaded  # one assignment: a request holds one version from start to end
            self._failed_version = None
            self.last_check_error = ""
            return True

    def _load(self, ref: ChampionRef) -> ChampionVersion:
        start = time.perf_counter()
        pyfunc, pipeline = load_pipeline(ref.version_uri, self._load_model)
        card = model_card(self.client, ref, pipeline.threshold)
        store = self._store_for(pipeline)
        loaded = ChampionVersion(pyfunc, pipeline, card, store, self.serving)
        log.info(
            "serving %s version %s (loaded in %.1f s, %d clients prepared in %.1f s)",
            ref.name,
            ref.version,
            time.perf_counter() - start,
            len(store),
            loaded.prepare_seconds,
        )
        return loaded

    def start_watcher(self) -> None:
        """Check the alias every `reload_seconds` in a daemon thread (no-op when 0)."""
        if self.serving.reload_seconds <= 0 or self._watcher is not None:
            return

        def watch() -> None:
            while not self._stop.wait(self.serving.reload_seconds):
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
        info["reload_seconds"] = self.serving.reload_seconds
        return info

    def champion_history(self) -> pd.DataFrame:
        """Every move of the registry's aliases, newest first (`tracking.history`): the Model tab's table."""
        from credit_scoring.tracking.history import COLUMNS, history_rows, read_history

        return pd.DataFrame(
            history_rows(read_history(self.client, self.registry.model_name)), columns=COLUMNS
        )

    # -- scoring (each request reads `champion` once: a reload meanwhile does not mix two versions)
    def score_client(self, client_id: Any, lang: str = "en") -> ScoreResult:
        """Score, decision and reasons (in `lang`) of a production or known client (precomputed row)."""
        v = self.champion
        cid, position = v.store.locate(client_id)
        rows = slice(position, position + 1)
        source, outcome = str(v.store.source[position]), v.store.outcome_at(position)
        return v.result(v.features[rows], cid, source, outcome, matrix=v.matrix[rows], lang=lang)

    def field_types(self) -> dict[str, ColumnType]:
        """Accepted fields: the application columns (declared types) and the side features (numbers)."""
        return requests.field_types(self.champion)

    def row_from_fields(self, fields: dict[str, Any]) -> tuple[pd.DataFrame, int | None, int | None]:
        """A raw applicant row from fields (`requests.row_from_fields`)."""
        return requests.row_from_fields(self.champion, fields)

    def labeller(self, lang: str = "en") -> Labeller:
        """The words of the fields and reasons in `lang` (English when it is not configured)."""
        v = self.champion
        return v.labellers.get(lang, v.labeller)

    def score_fields(self, fields: dict[str, Any], lang: str = "en") -> ScoreResult:
        """Score of an application given as fields (raw columns and units of the application table).

        With the id of a known client, the fields replace that client's values (what-if); otherwise they
        describe a new client (fields not given are missing; no side-table history).
        """
        v = self.champion
        columns, client_id, position = requests.columns_from_fields(v, fields)
        source = WHAT_IF if position is not None else NEW
        outcome = None if position is None else v.store.outcome_at(position)
        result = v.result(v.features_of_columns(columns), client_id, source, outcome, lang=lang)
        result.notices = v.notices_of_columns(columns)
        return result

    def what_would_change(self, request: Any) -> Counterfactual | None:
        """The smallest change of the editable fields that would grant a client (a client id, or fields as
        for `score_fields`) under the champion's threshold; None when none exists within the training range
        (`counterfactual.what_would_change`). A client already granted needs none: None."""
        v = self.champion
        if isinstance(request, dict):
            row = requests.row_from_fields(v, request)[0]
        else:
            _, position = v.store.locate(request)
            row = v.store.rows(np.array([position]))
        if v.probability(v.impute(v.features_of_rows(row)))[0] < v.threshold:
            return None
        return counterfactual.what_would_change(v, row, self.serving.counterfactual)

    def no_change_text(self) -> str:
        """What the app says when no change within the bounds grants the client."""
        return counterfactual.none_text(self.champion, self.serving.counterfactual)

    def what_if_fields(self) -> list[FieldInfo]:
        return self.champion.form

    def shown_values(self, client_id: Any | None) -> dict[str, Any]:
        """The what-if fields of a client in shown units (`requests.shown_values`)."""
        return requests.shown_values(self.champion, client_id)

    def typical_values(self) -> dict[str, Any]:
        """A typical new client's what-if fields in shown units (`requests.typical_values`)."""
        return requests.typical_values(self.champion)

    def out_of_range(self, fields: dict[str, Any]) -> list[tuple[str, str, str, str]]:
        """Raw fields outside the known clients' range: (label, value, lowest, highest) (`requests`)."""
        return requests.out_of_range(self.champion, fields)

    def raw_fields(self, shown: dict[str, Any], base_id: Any | None = None) -> dict[str, Any]:
        """What-if form values back to raw columns and units (`requests.raw_fields`)."""
        return requests.raw_fields(self.champion, shown, base_id)

    def score_csv(self, path: Path | str, name: str | None = None) -> BatchResult:
        """Score a CSV of applications (`batch.score_csv`)."""
        return batch.score_csv(self.champion, path, name)

    # -- context
    def choices(self) -> list[tuple[str, str]]:
        """(label, feature) of the numeric features, most important first (for the context charts)."""
        return context.choices(self.champion)

    def importance(self, top: int = 15) -> pd.DataFrame:
        return self.champion.importance.head(top)

    def distribution(self, feature: str, result: ScoreResult | None) -> dict[str, Any]:
        return context.distribution(self.champion, feature, result)

    def bivariate(self, x: str, y: str, result: ScoreResult | None) -> dict[str, Any]:
        return context.bivariate(self.champion, x, y, result)

    def example_ids(self, n: int = 3) -> dict[str, list[int]]:
        """A few production and known client ids (for the page's hints)."""
        return self.store.example_ids(n)
