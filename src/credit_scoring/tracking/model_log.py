"""The logged model: the scoring pipeline as one MLflow pyfunc, with its signature, input example and
pinned requirements."""

from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import ModelSignature

from credit_scoring.config.modelling import RegistryConfig
from credit_scoring.errors import ConfigError
from credit_scoring.scoring.pipeline import CreditScoringModel, ScoringPipeline

MODEL_NAME_IN_RUN = "model"  # the logged model's name inside its run


def pinned_requirements(distributions: list[str]) -> list[str]:
    """`name==installed version` for each distribution (so that log_model does not infer them, ~7 s)."""
    pins = []
    for name in distributions:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError as exc:
            raise ConfigError(f"registry.pip_requirements: {name} is not installed") from exc
    return pins


def output_signature(output: pd.DataFrame) -> ModelSignature:
    """The signature: the outputs only (probability, decision, threshold).

    No input schema, on purpose: MLflow would enforce it column by column on every call (~670 optional
    columns for Home Credit, most of a one-row call) and drop the columns it does not declare. The
    pipeline types its input itself (the data stages' validator, `ApplicantPreprocessor`); the logged input
    example (and MLflow's serving_input_example.json) shows the columns a caller sends."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MLflow's note on integer columns (the decision)
        outputs = mlflow.models.infer_signature(output).inputs
    return ModelSignature(inputs=None, outputs=outputs)


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
        signature=output_signature(output),
        input_example=example,
        pip_requirements=pinned_requirements(cfg.pip_requirements),
    )
