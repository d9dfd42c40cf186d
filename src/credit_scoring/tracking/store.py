"""The MLflow store: which one (configured URI, or MLFLOW_TRACKING_URI when set), pointing MLflow at it, the
experiment.

The store is `registry.tracking_uri` (SQLite under mlruns/ by default: MLflow 3 refuses a bare ./mlruns
file store), or the MLFLOW_TRACKING_URI environment variable when it is set (a remote server, say).
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow

from credit_scoring.config.modelling import RegistryConfig

ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
SQLITE_PREFIX = "sqlite:///"
LOCAL_STORE_PREFIXES = (SQLITE_PREFIX, "file:", "/", ".")  # tracking URIs of a store on this machine


def tracking_uri(cfg: RegistryConfig, root: Path | None = None) -> str:
    """MLFLOW_TRACKING_URI when set, else the configured URI; with `root`, a relative SQLite path is taken
    from that folder (the app, started from anywhere, uses the project's store)."""
    uri = os.environ.get(ENV_TRACKING_URI) or cfg.tracking_uri
    if root is not None and uri.startswith(SQLITE_PREFIX) and not uri[len(SQLITE_PREFIX) :].startswith("/"):
        uri = SQLITE_PREFIX + str(Path(root) / uri[len(SQLITE_PREFIX) :])
    return uri


ENV_REGISTRY_URI = "MLFLOW_REGISTRY_URI"


def use_tracking_uri(uri: str) -> None:
    """Point MLflow's tracking and registry at `uri` in this process, leaving the environment as it was.

    mlflow.set_tracking_uri / set_registry_uri also export the URI to MLFLOW_TRACKING_URI /
    MLFLOW_REGISTRY_URI; left there, it would pass for the user's choice and override the next
    configuration read in the same process (`tracking_uri` gives the environment precedence).
    """
    saved = {k: os.environ.get(k) for k in (ENV_TRACKING_URI, ENV_REGISTRY_URI)}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _local_uri(path_or_uri: str) -> str:
    """A local path as an absolute file URI; URIs unchanged."""
    if "://" in path_or_uri:
        return path_or_uri
    return Path(path_or_uri).resolve().as_uri()


def setup_tracking(cfg: RegistryConfig) -> str:
    """Point MLflow at the store (creating a local SQLite file's folder), make the experiment the active one
    and return its id."""
    uri = tracking_uri(cfg)
    if uri.startswith(SQLITE_PREFIX):
        Path(uri[len(SQLITE_PREFIX) :]).parent.mkdir(parents=True, exist_ok=True)
    use_tracking_uri(uri)
    experiment = mlflow.get_experiment_by_name(cfg.experiment)
    if experiment is None:
        # a local store keeps the artifacts under artifact_location; a server decides where its own go
        local = uri.startswith(LOCAL_STORE_PREFIXES)
        location = _local_uri(cfg.artifact_location) if local else None
        experiment_id = mlflow.create_experiment(cfg.experiment, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)  # nested runs go there too
    return experiment_id
