"""Typed configuration: dataclass schemas of every Hydra group in conf/, and the loaders.

conf/config.yaml composes one option per group (dataset, features, split, eda, resampling, model, tuning,
serving, monitoring) plus `paths` and `runtime`. DVC (hydra.enabled) or `pipelines/params.py` dumps the
composition to params.yaml; every stage entry point loads params.yaml through `load_config`, which checks it
against these schemas (unknown keys, wrong types and missing values are errors, not surprises later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from credit_scoring.errors import ConfigError
from credit_scoring.config.modelling import (
    EvaluationConfig,
    ModelConfig,
    RegistryConfig,
    ResamplingConfig,
    TuningConfig,
)
from credit_scoring.config.monitoring import MonitoringConfig

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CONF_DIR = PROJECT_ROOT / "conf"
DEFAULT_CONFIG_NAME = "config"
DEFAULT_PARAMS_FILE = Path("params.yaml")


# ---- dataset ------------------------------------------------------------------------------------------------
class ColumnType(Enum):
    """Declared kind of a raw column.

    int: integer-valued numbers (missing allowed); float: any finite number; flag: 0/1 or Y/N;
    category: text levels (any level accepted, XNA included).
    """

    int = "int"
    float = "float"
    flag = "flag"
    category = "category"


class AggFunc(Enum):
    """Aggregations of a numeric column over the rows of one group."""

    min = "min"
    max = "max"
    mean = "mean"
    sum = "sum"
    var = "var"
    std = "std"
    median = "median"
    size = "size"
    count = "count"
    nunique = "nunique"


class DerivedOp(Enum):
    """Row-wise operations building a new column from existing ones.

    ratio (a / b, missing when b is 0), difference (a - b), product, sum, weighted_sum: missing if an input is
    missing. mean, std, min, max: over the inputs present (missing only when all are).
    """

    ratio = "ratio"
    difference = "difference"
    product = "product"
    sum = "sum"
    weighted_sum = "weighted_sum"
    mean = "mean"
    std = "std"
    min = "min"
    max = "max"


@dataclass
class ForeignKey:
    """`column` of this table refers to `ref_column` (same name when empty) of any of `tables`."""

    column: str = MISSING
    tables: list[str] = MISSING
    ref_column: str | None = None


@dataclass
class ColumnsByType:
    """Declared columns: space-separated names per type.

    One string per type (rather than one YAML line per column) keeps params.yaml small: DVC parses it once
    per stage on every `dvc status` / `dvc repro`, and a 400-line column list made a no-op repro slow.
    """

    int: str = ""
    float: str = ""
    flag: str = ""
    category: str = ""


@dataclass
class TableConfig:
    """One raw CSV file: its columns and declared types, unique key and references."""

    file: str = MISSING
    columns: ColumnsByType = MISSING
    key: list[str] = field(default_factory=list)
    references: list[ForeignKey] = field(default_factory=list)

    @property
    def types(self) -> dict[str, ColumnType]:
        """{column: declared type}, grouped by type in the order int, float, flag, category."""
        return {name: kind for kind in ColumnType for name in getattr(self.columns, kind.value).split()}


@dataclass
class Derived:
    """A derived column: `name` = op(columns), optionally clipped from below. `columns`: space-separated."""

    name: str = MISSING
    op: DerivedOp = MISSING
    columns: str = MISSING
    weights: list[float] | None = None
    clip_lower: float | None = None

    @property
    def inputs(self) -> list[str]:
        return self.columns.split()


@dataclass
class Sentinel:
    """`value` in `column` means "not known": replaced by missing, with an optional 0/1 `flag` column."""

    column: str = MISSING
    value: float = MISSING
    flag: str | None = None


@dataclass
class SubsetFilter:
    """Rows whose `column` equals `equals`."""

    column: str = MISSING
    equals: str = MISSING


@dataclass
class Subset:
    """Aggregations restricted to a subset of the rows (e.g. active credits), under their own prefix."""

    prefix: str = MISSING
    where: SubsetFilter = MISSING
    numeric: dict[str, str] | None = None  # default: the block's numeric aggregations


@dataclass
class Aggregation:
    """One group-by of a side table.

    numeric: {column pattern (fnmatch): "space-separated AggFunc names"}; categorical: space-separated column
    patterns, one-hot encoded and averaged (share of each level). (Lists of names are space-separated strings
    throughout: params.yaml and dvc.lock stay short, and DVC parses them on every status/repro.) With `attach_to`, the result is joined onto that table's rows (e.g.
    bureau_balance rolled up per SK_ID_BUREAU onto bureau) for the blocks that follow; otherwise `by` must be
    the dataset id and the result is part of the side features.
    """

    name: str = MISSING
    table: str = MISSING
    by: str = MISSING
    prefix: str = ""
    attach_to: str | None = None
    sentinels: list[Sentinel] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    numeric: dict[str, str] = field(default_factory=dict)  # {pattern: "min max mean"}
    categorical: str = ""
    max_levels: int = MISSING
    nan_as_category: bool = MISSING
    count: bool = False
    subsets: list[Subset] = field(default_factory=list)


@dataclass
class DatasetConfig:
    """A dataset: its tables, the id and target, the side-table aggregations and the domain features."""

    name: str = MISSING
    id: str = MISSING
    target: str = MISSING
    train_table: str = MISSING
    production_table: str | None = None
    tables: dict[str, TableConfig] = MISSING
    aggregations: list[Aggregation] = field(default_factory=list)
    sentinels: list[Sentinel] = field(default_factory=list)
    domain_features: list[Derived] = field(default_factory=list)
    error_examples: int = MISSING  # how many row numbers an error message lists


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


# ---- later groups (room for the modelling issues) -------------------------------------------------------------
@dataclass
class GroupPlaceholder:
    """A group whose issue has not defined its settings yet: a name and free-form options."""

    name: str = MISSING
    options: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class RuntimeConfig:
    """Execution settings that do not change results (not a dependency of any stage)."""

    threads: int = MISSING
    memory_limit: str = MISSING


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
    serving: GroupPlaceholder = MISSING
    monitoring: MonitoringConfig = MISSING


def _check(cfg: Config) -> Config:
    """Cross-field checks the types cannot express."""
    ds = cfg.dataset
    if ds.train_table not in ds.tables:
        raise ConfigError(f"dataset.train_table {ds.train_table!r} is not one of dataset.tables")
    if ds.production_table is not None and ds.production_table not in ds.tables:
        raise ConfigError(f"dataset.production_table {ds.production_table!r} is not one of dataset.tables")
    train = ds.tables[ds.train_table]
    for name, table in ds.tables.items():
        names = [n for kind in ColumnType for n in getattr(table.columns, kind.value).split()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"dataset.tables.{name}.columns: {dupes} declared more than once")
    for col in (ds.id, ds.target):
        if col not in train.types:
            raise ConfigError(f"dataset.tables.{ds.train_table}.columns must declare {col!r}")
    for name, table in ds.tables.items():
        for col in (*table.key, *(fk.column for fk in table.references)):
            if col not in table.types:
                raise ConfigError(f"dataset.tables.{name}: key/reference column {col!r} is not declared")
        for fk in table.references:
            unknown = [t for t in fk.tables if t not in ds.tables]
            if unknown:
                raise ConfigError(f"dataset.tables.{name}.references: unknown tables {unknown}")
    for agg in ds.aggregations:
        for numeric in [agg.numeric, *(s.numeric for s in agg.subsets if s.numeric is not None)]:
            for pattern, funcs in numeric.items():
                unknown = [f for f in funcs.split() if f not in AggFunc.__members__]
                if unknown:
                    raise ConfigError(
                        f"dataset.aggregations {agg.name!r}: {pattern}: unknown function(s) {unknown} "
                        f"(known: {', '.join(AggFunc.__members__)})"
                    )
        if agg.table not in ds.tables:
            raise ConfigError(f"dataset.aggregations {agg.name!r}: unknown table {agg.table!r}")
        if agg.attach_to is None and agg.by != ds.id:
            raise ConfigError(
                f"dataset.aggregations {agg.name!r}: by={agg.by!r} must be the id {ds.id!r} (or set attach_to)"
            )
    sp = cfg.split
    if not (0 < sp.valid_size < 1 and 0 < sp.test_size < 1 and sp.valid_size + sp.test_size < 1):
        raise ConfigError("split.valid_size and split.test_size must be in (0, 1) with a sum below 1")
    return cfg


def to_config(container: DictConfig | dict[str, Any], overrides: Sequence[str] = ()) -> Config:
    """Validate a composed configuration (plus dotlist overrides) against the schemas."""
    try:
        merged = OmegaConf.merge(
            OmegaConf.structured(Config), container, OmegaConf.from_dotlist(list(overrides))
        )
        cfg = OmegaConf.to_object(merged)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"invalid configuration: {exc}".replace("\n", " | ")) from None
    assert isinstance(cfg, Config)
    return _check(cfg)


def load_config(params_file: Path | str = DEFAULT_PARAMS_FILE, overrides: Sequence[str] = ()) -> Config:
    """The configuration the stages run with: params.yaml (as written from conf/) plus dotlist overrides."""
    path = Path(params_file)
    if not path.is_file():
        raise ConfigError(f"{path} not found: generate it from conf/ with `python pipelines/params.py`")
    try:
        container = OmegaConf.load(path)
    except Exception as exc:  # yaml errors
        raise ConfigError(f"{path}: cannot be read as YAML: {exc}") from None
    return to_config(container, overrides)


def compose(overrides: Sequence[str] = (), conf_dir: Path = DEFAULT_CONF_DIR) -> DictConfig:
    """Compose conf/ with Hydra overrides (e.g. ``["features=minimal", "split.seed=3"]``), resolved."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException

    try:
        with initialize_config_dir(str(Path(conf_dir).resolve()), version_base=None):
            cfg = hydra_compose(config_name=DEFAULT_CONFIG_NAME, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"cannot compose {conf_dir}: {exc}") from None
    OmegaConf.resolve(cfg)
    return cfg


def compose_config(overrides: Sequence[str] = (), conf_dir: Path = DEFAULT_CONF_DIR) -> Config:
    """Compose conf/ with Hydra overrides and validate it (what the tests and params.py use)."""
    return to_config(compose(overrides, conf_dir))
