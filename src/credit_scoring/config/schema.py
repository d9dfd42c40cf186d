"""Root schema of the configuration: paths, runtime, the features, split and EDA groups, and `Config`.

conf/config.yaml composes one option per group (dataset, features, split, eda, resampling, model, tuning,
serving, monitoring) plus `paths` and `runtime`. DVC (hydra.enabled) or `pipelines/params.py` dumps the
composition to params.yaml; every stage entry point loads params.yaml through `load_config`, which checks it
against these schemas (unknown keys, wrong types and missing values are errors, not surprises later).
The other groups' schemas live beside this module (dataset, modelling, monitoring, serving).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from omegaconf import MISSING

from credit_scoring.config.dataset import DatasetConfig
from credit_scoring.config.modelling import (
    EvaluationConfig,
    ModelConfig,
    RegistryConfig,
    ResamplingConfig,
    TuningConfig,
)
from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.config.serving import ServingConfig
from credit_scoring.config.validation import ValidationConfig

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CONF_DIR = PROJECT_ROOT / "conf"
DEFAULT_CONFIG_NAME = "config"
DEFAULT_PARAMS_FILE = Path("params.yaml")


# ---- features, split, eda -----------------------------------------------------------------------------------
class EncodingMethod(Enum):
    onehot = "onehot"
    ordinal = "ordinal"


@dataclass
class EncodingConfig:
    """Categorical encoding, fitted on the train split only."""

    method: EncodingMethod = MISSING
    max_levels: int = MISSING  # most frequent levels kept per column; the rest count as unseen
    min_frequency: int = MISSING  # a level seen fewer times in train is treated as unseen
    nan_as_category: bool = MISSING  # one-hot: a separate 0/1 column for missing values


@dataclass
class FeaturesConfig:
    name: str = MISSING
    domain: bool = MISSING  # build the dataset's sentinels flags and domain features
    side_features: bool = MISSING  # join the merge stage's aggregated side tables
    encoding: EncodingConfig = MISSING
    float_dtype: str = MISSING  # dtype of the feature columns written (float32 halves memory)


@dataclass
class SplitConfig:
    """Train / validation / test drawn from the train table, stratified on the target."""

    valid_size: float = MISSING
    test_size: float = MISSING
    seed: int = MISSING
    stratify: bool = MISSING


@dataclass
class EdaConfig:
    sample_rows: int = MISSING  # rows of the train split the report reads (seeded sample)
    seed: int = MISSING
    top_features: int = MISSING  # distributions shown for this many most informative features
    correlation_features: int = MISSING
    missing_top: int = MISSING
    histogram_bins: int = MISSING
    min_coverage: float = MISSING  # a feature present in fewer rows than this share is not ranked


# ---- root ---------------------------------------------------------------------------------------------------
@dataclass
class PathsConfig:
    raw: str = MISSING
    ingest: str = MISSING
    merge: str = MISSING
    split: str = MISSING
    features: str = MISSING
    eda_report: str = MISSING
    resample: str = MISSING
    train: str = MISSING
    register: str = MISSING
    oracle: str = MISSING
    data_dvc: str = MISSING
    monitor: str = MISSING  # the monitor stage's headline metrics (the reports go to monitoring.report.*)
    validation: str = MISSING  # the validate stage's PD validation report (validation.json, validation.html)


@dataclass
class RuntimeConfig:
    """Execution settings that do not change results (not a dependency of any stage)."""

    threads: int = MISSING
    memory_limit: str = MISSING
    side_rows_per_batch: int = MISSING


@dataclass
class Config:
    paths: PathsConfig = MISSING
    runtime: RuntimeConfig = MISSING
    dataset: DatasetConfig = MISSING
    features: FeaturesConfig = MISSING
    split: SplitConfig = MISSING
    eda: EdaConfig = MISSING
    resampling: ResamplingConfig = MISSING
    model: ModelConfig = MISSING
    tuning: TuningConfig = MISSING
    evaluation: EvaluationConfig = MISSING
    registry: RegistryConfig = MISSING
    serving: ServingConfig = MISSING
    monitoring: MonitoringConfig = MISSING
    validation: ValidationConfig = MISSING
