"""Configuration: the dataclass schema of every Hydra group in conf/ and the one loader (`load_config`).

conf/ is composed by Hydra into params.yaml (DVC's hydra integration or `python pipelines/params.py`); every
entry point reads params.yaml with `load_config(path, overrides)`, tests and benchmarks compose conf/ with
`compose_config(overrides)`. Modules: `dataset` (tables, aggregations), `schema` (root `Config`, paths, features,
split, EDA), `modelling` (resampling, model, tuning, evaluation, registry), `monitoring`, `serving`, `loader`.
"""

from credit_scoring.config.dataset import (
    AggFunc,
    Aggregation,
    ColumnsByType,
    ColumnType,
    DatasetConfig,
    Derived,
    DerivedOp,
    ForeignKey,
    Sentinel,
    Subset,
    SubsetFilter,
    TableConfig,
)
from credit_scoring.config.loader import compose, compose_config, load_config, to_config
from credit_scoring.config.schema import (
    DEFAULT_CONF_DIR,
    DEFAULT_CONFIG_NAME,
    DEFAULT_PARAMS_FILE,
    PROJECT_ROOT,
    Config,
    EdaConfig,
    EncodingConfig,
    EncodingMethod,
    FeaturesConfig,
    PathsConfig,
    RuntimeConfig,
    SplitConfig,
)

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_CONF_DIR",
    "DEFAULT_PARAMS_FILE",
    "PROJECT_ROOT",
    "AggFunc",
    "Aggregation",
    "ColumnType",
    "ColumnsByType",
    "Config",
    "DatasetConfig",
    "Derived",
    "DerivedOp",
    "EdaConfig",
    "EncodingConfig",
    "EncodingMethod",
    "FeaturesConfig",
    "ForeignKey",
    "PathsConfig",
    "RuntimeConfig",
    "Sentinel",
    "SplitConfig",
    "Subset",
    "SubsetFilter",
    "TableConfig",
    "compose",
    "compose_config",
    "load_config",
    "to_config",
]
