"""The one configuration loader: params.yaml (or conf/ composed by Hydra) + dotlist overrides -> `Config`.

Every entry point (stages, app, monitor, benchmarks, tests) goes through `load_config` or `compose_config`;
both validate against the dataclass schemas and then run the cross-field checks below.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from credit_scoring.config.dataset import AggFunc, ColumnType
from credit_scoring.config.monitoring import CORRECTIONS
from credit_scoring.config.schema import DEFAULT_CONF_DIR, DEFAULT_CONFIG_NAME, DEFAULT_PARAMS_FILE, Config
from credit_scoring.config.validation import check_validation
from credit_scoring.errors import ConfigError


def _check_dataset(cfg: Config) -> None:
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


def _check_modelling(cfg: Config) -> None:
    cost = cfg.evaluation.cost
    if cost.false_negative <= 0 or cost.false_positive <= 0:
        raise ConfigError("evaluation.cost: false_negative and false_positive must be positive")
    if cfg.tuning.max_evals < 0:
        raise ConfigError("tuning.max_evals must be 0 (no tuning) or more")
    if cfg.tuning.max_evals > 0 and not cfg.model.search_space:
        raise ConfigError(
            f"tuning.max_evals is {cfg.tuning.max_evals} but model {cfg.model.name} has no search_space"
        )
    if cfg.tuning.cv_folds < 0 or (cfg.model.max_cv_folds or 0) < 0:
        raise ConfigError("tuning.cv_folds and model.max_cv_folds must be 0 (the validation split) or more")
    ray = cfg.tuning.ray
    if ray is not None and (ray.max_concurrent < 1 or (ray.threads_per_trial or 1) < 1):
        raise ConfigError("tuning.ray: max_concurrent and threads_per_trial must be at least 1")
    if not 0 < cfg.resampling.sampling_strategy <= 1:
        raise ConfigError("resampling.sampling_strategy (minority / majority ratio) must be in (0, 1]")
    if not 0 <= cfg.registry.min_test_roc_auc <= 1:
        raise ConfigError("registry.min_test_roc_auc must be in [0, 1]")
    if not 0 < cfg.registry.confidence < 1:
        raise ConfigError("registry.confidence must be in (0, 1)")
    if cfg.registry.bootstrap_resamples < 100:
        raise ConfigError("registry.bootstrap_resamples must be at least 100")
    reg = cfg.registry
    if not 0 < reg.lock_poll_seconds < reg.lock_stale_seconds <= reg.lock_wait_seconds:
        raise ConfigError("registry: need 0 < lock_poll_seconds < lock_stale_seconds <= lock_wait_seconds")
    if cfg.registry.challenger_alias == cfg.registry.alias:
        raise ConfigError("registry.challenger_alias must differ from registry.alias")
    for name, p in cfg.model.search_space.items():
        if p.options is None and (p.low is None or p.high is None or p.low >= p.high):
            raise ConfigError(f"model.search_space.{name}: needs low < high (or options)")


SERVING_COUNTS = (
    "reasons",
    "batch_reasons",
    "neighbours",
    "neighbour_features",
    "context_rows",
    "chunk_rows",
)


def _check_serving(cfg: Config) -> None:
    for name in SERVING_COUNTS:
        if getattr(cfg.serving, name) < 1:
            raise ConfigError(f"serving.{name} must be at least 1")
    cf = cfg.serving.counterfactual
    if (
        cf.max_fields < 1
        or len(cf.bounds_quantiles) != 2
        or not 0 <= cf.bounds_quantiles[0] < cf.bounds_quantiles[1] <= 1
    ):
        raise ConfigError(
            "serving.counterfactual: max_fields must be at least 1 and bounds_quantiles [low, high] in [0, 1]"
        )
    if len(cf.term) != 2:
        raise ConfigError("serving.counterfactual.term must be [credit column, annuity column]")
    if cfg.serving.reload_seconds < 0:
        raise ConfigError("serving.reload_seconds must be 0 (on request only) or more")


def _check_monitoring(cfg: Config) -> None:
    """Ranges and cross-field rules of the monitoring group; every problem named by its key."""
    m = cfg.monitoring
    p, d, e, f = m.psi, m.drift, m.evidently, m.fairness
    edges = list(f.age_edges)
    rules = [
        (p.bins >= 2, f"psi.bins must be an integer >= 2, got {p.bins!r}"),
        (0 < p.epsilon < 0.01, f"psi.epsilon must be in (0, 0.01), got {p.epsilon!r}"),
        (0 < p.moderate < p.significant, f"psi bands need 0 < moderate < significant, got {p.moderate!r}, "
         f"{p.significant!r}"),
        (p.max_levels >= 1 and p.chunk_columns >= 1, "psi.max_levels and psi.chunk_columns must be >= 1"),
        (0 < d.alpha < 1, f"drift.alpha must be in (0, 1), got {d.alpha!r}"),
        (d.correction in CORRECTIONS, f"drift.correction must be one of {CORRECTIONS}, got {d.correction!r}"),
        (d.min_psi >= 0, f"drift.min_psi must be >= 0, got {d.min_psi!r}"),
        (e.top_features >= 1 and e.max_rows >= 10, "evidently.top_features must be >= 1, evidently.max_rows >= 10"),
        (0 < e.drift_share <= 1, f"evidently.drift_share must be in (0, 1], got {e.drift_share!r}"),
        (0 <= m.policy.max_drifted_share < 1,
         f"policy.max_drifted_share must be in [0, 1), got {m.policy.max_drifted_share!r}"),
        (m.performance.max_auc_drop >= 0 and m.performance.max_cost_increase >= 0,
         "performance.max_auc_drop and performance.max_cost_increase must be >= 0"),
        (bool(edges) and edges[0] > 0 and all(a < b for a, b in zip(edges, edges[1:], strict=False)),
         f"fairness.age_edges must be positive and increasing, got {edges!r}"),
        (f.max_gap > 0 and f.min_group_size >= 1, "fairness.max_gap must be > 0, fairness.min_group_size >= 1"),
    ]  # fmt: skip
    problems = [f"monitoring.{message}" for ok, message in rules if not ok]
    if problems:
        raise ConfigError("; ".join(problems))


def _check(cfg: Config) -> Config:
    """Cross-field checks the types cannot express."""
    _check_dataset(cfg)
    sp = cfg.split
    if not (0 < sp.valid_size < 1 and 0 < sp.test_size < 1 and sp.valid_size + sp.test_size < 1):
        raise ConfigError("split.valid_size and split.test_size must be in (0, 1) with a sum below 1")
    _check_modelling(cfg)
    _check_serving(cfg)
    _check_monitoring(cfg)
    check_validation(cfg.validation)
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
