"""The champion: which registered version holds the alias, and its scoring pipeline, resolved in one place
for the register stage (the gate's comparison), the monitor stage and the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from credit_scoring.config.modelling import RegistryConfig
from credit_scoring.errors import InputDataError


@dataclass(frozen=True)
class ChampionRef:
    """The registered version holding `alias` of `name` in the store at `tracking_uri`."""

    name: str
    alias: str
    version: str
    run_id: str
    registered_at: str  # ISO 8601, UTC, seconds
    tracking_uri: str
    tags: dict[str, str]

    @property
    def alias_uri(self) -> str:
        """models:/name@alias: whatever version holds the alias when it is loaded."""
        return f"models:/{self.name}@{self.alias}"

    @property
    def version_uri(self) -> str:
        """models:/name/version: exactly this version."""
        return f"models:/{self.name}/{self.version}"


def iso_utc(ms: int | None) -> str:
    """An MLflow timestamp (ms since the epoch) as ISO 8601 UTC to the second ('' when unknown)."""
    if not ms:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(microsecond=0).isoformat()


def find_champion(client: Any, reg: RegistryConfig, tracking_uri: str) -> ChampionRef | None:
    """The version holding the alias, None when no version holds it (or the model is not registered)."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client.get_model_version_by_alias(reg.model_name, reg.alias)
    except MlflowException:
        return None
    return ChampionRef(
        name=reg.model_name,
        alias=reg.alias,
        version=str(mv.version),
        run_id=str(mv.run_id),
        registered_at=iso_utc(mv.creation_timestamp),
        tracking_uri=tracking_uri,
        tags=dict(mv.tags or {}),
    )


def require_champion(client: Any, reg: RegistryConfig, tracking_uri: str) -> ChampionRef:
    """`find_champion`, or an error saying which stages make one."""
    ref = find_champion(client, reg, tracking_uri)
    if ref is None:
        raise InputDataError(
            f"no model {reg.model_name!r} with alias {reg.alias!r} in {tracking_uri}: run the train and "
            "register stages first (make run); without registry.auto_promote, a person then makes a version the "
            "champion: credit-scoring promote --version N --approver NAME --reason TEXT"
        )
    return ref


def load_pipeline(uri: str, loader: Callable[[str], Any] | None = None) -> tuple[Any, Any]:
    """(pyfunc, its ScoringPipeline) of a logged model; an error when it is not a credit_scoring model."""
    if loader is None:
        import mlflow

        loader = mlflow.pyfunc.load_model
    pyfunc = loader(uri)
    pipeline = getattr(pyfunc.unwrap_python_model(), "pipeline", None)
    if pipeline is None or not hasattr(pipeline, "preprocessor"):
        raise InputDataError(f"{uri} is not a credit_scoring scoring pipeline")
    return pyfunc, pipeline
