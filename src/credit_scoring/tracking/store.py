"""MLflow helpers: tracking store, experiment, run metadata, figures and the logged pyfunc model.

The store is `registry.tracking_uri` (SQLite under mlruns/ by default: MLflow 3 refuses a bare ./mlruns
file store), or the MLFLOW_TRACKING_URI environment variable when it is set (a remote server, say).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml
from mlflow.models import ModelSignature
from mlflow.types import DataType
from mlflow.types.schema import AnyType, ColSpec, Schema

from credit_scoring.errors import ConfigError
from credit_scoring.scoring.pipeline import CreditScoringModel, ScoringPipeline
from credit_scoring.config.modelling import RegistryConfig

ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
SQLITE_PREFIX = "sqlite:///"
LOCAL_STORE_PREFIXES = (SQLITE_PREFIX, "file:", "/", ".")  # tracking URIs of a store on this machine
MODEL_NAME_IN_RUN = "model"  # the logged model's name inside its run
UNKNOWN = "unknown"


def tracking_uri(cfg: RegistryConfig) -> str:
    """MLFLOW_TRACKING_URI when set, else the configured URI."""
    return os.environ.get(ENV_TRACKING_URI) or cfg.tracking_uri


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


def git_commit(cwd: Path | str = ".") -> tuple[str, bool]:
    """(commit hash, working tree dirty) of the repository at cwd; ('unknown', False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN, False
    return commit, bool(status.strip())


def dvc_data_hash(path: Path | str) -> str:
    """md5 of the first output recorded in a .dvc file (the raw data version), 'unknown' if unreadable."""
    try:
        record = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return str(record["outs"][0]["md5"])
    except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
        return UNKNOWN


def flat_params(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'model.params.num_leaves': 16, ...}: nested settings as MLflow params."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flat_params(value, f"{name}."))
        else:
            out[name] = value
    return out


def pinned_requirements(distributions: list[str]) -> list[str]:
    """`name==installed version` for each distribution (so that log_model does not infer them, ~7 s)."""
    pins = []
    for name in distributions:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError as exc:
            raise ConfigError(f"registry.pip_requirements: {name} is not installed") from exc
    return pins


def input_signature(example: pd.DataFrame, output: pd.DataFrame, float_columns: list[str]) -> ModelSignature:
    """Every input column optional. `float_columns` (the side-table aggregates, all floats) are declared
    double, which MLflow checks column-wise; the application columns are of any type (raw CSV values such
    as Y/N flags, integers, text), which MLflow passes through value by value and the pipeline types itself."""
    floats = set(float_columns)
    inputs = Schema(
        [
            ColSpec(DataType.double if c in floats else AnyType(), str(c), required=False)
            for c in example.columns
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MLflow's note on integer columns (the decision)
        outputs = mlflow.models.infer_signature(output).inputs
    return ModelSignature(inputs=inputs, outputs=outputs)


def json_ready(example: pd.DataFrame) -> pd.DataFrame:
    """An input example MLflow can store as JSON: categoricals as text, nullable numbers as floats."""
    out = {}
    for col in example.columns:
        s = example[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object:
            out[col] = s.astype("object").where(s.notna(), None)
        else:
            out[col] = s.astype("float64")
    return pd.DataFrame(out, index=example.index)


def log_scoring_model(pipeline: ScoringPipeline, example: pd.DataFrame, cfg: RegistryConfig) -> Any:
    """Log the pipeline as one pyfunc model (signature, input example, pinned requirements); its ModelInfo."""
    example = json_ready(example)
    output = pipeline.predict(example).reset_index(drop=True)
    return mlflow.pyfunc.log_model(
        name=MODEL_NAME_IN_RUN,
        python_model=CreditScoringModel(pipeline),
        signature=input_signature(example, output, pipeline.preprocessor.side_columns_),
        input_example=example,
        pip_requirements=pinned_requirements(cfg.pip_requirements),
    )


def log_figure(fig: Any, artifact_file: str) -> None:
    """Log a matplotlib figure as an image and release it."""
    import matplotlib.pyplot as plt

    mlflow.log_figure(fig, artifact_file)
    plt.close(fig)
