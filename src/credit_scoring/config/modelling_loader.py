"""Configuration and command-line runner of the modelling stages (resample, train, register).

The stages read the part of params.yaml they need: `paths`, `runtime`, `dataset`, `features` (checked by
the data stages' schemas) and the modelling groups (checked by `credit_scoring.config.modelling`). Keys
they do not use (eda, split, monitoring, ...) are ignored, so this loader works whether or not `config.Config`
already declares the modelling groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from credit_scoring.config.schema import (
    DEFAULT_CONF_DIR,
    DEFAULT_CONFIG_NAME,
    DEFAULT_PARAMS_FILE,
    DatasetConfig,
    FeaturesConfig,
    RuntimeConfig,
    compose,
)
from credit_scoring.errors import ConfigError
from credit_scoring.config.modelling import (
    EvaluationConfig,
    ModelConfig,
    ModellingPaths,
    RegistryConfig,
    ResamplingConfig,
    TuningConfig,
)
from credit_scoring.stages.runner import main as stage_main

MODELLING_GROUPS = ("resampling", "model", "tuning", "evaluation", "registry")


@dataclass
class ModellingConfig:
    """What the modelling stages run with."""

    paths: ModellingPaths = MISSING
    runtime: RuntimeConfig = MISSING
    dataset: DatasetConfig = MISSING
    features: FeaturesConfig = MISSING
    resampling: ResamplingConfig = MISSING
    model: ModelConfig = MISSING
    tuning: TuningConfig = MISSING
    evaluation: EvaluationConfig = MISSING
    registry: RegistryConfig = MISSING


def to_modelling_config(
    container: DictConfig | dict[str, Any], overrides: Sequence[str] = ()
) -> ModellingConfig:
    """Validate the modelling part of a composed configuration (plus dotlist overrides)."""
    try:
        full = OmegaConf.merge(OmegaConf.create(container), OmegaConf.from_dotlist(list(overrides)))
        wanted = {f.name for f in fields(ModellingConfig)}
        part = {k: v for k, v in OmegaConf.to_container(full, resolve=True).items() if k in wanted}
        path_keys = {f.name for f in fields(ModellingPaths)}
        part["paths"] = {k: v for k, v in (part.get("paths") or {}).items() if k in path_keys}
        cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(ModellingConfig), part))
    except OmegaConfBaseException as exc:
        raise ConfigError(f"invalid modelling configuration: {exc}".replace("\n", " | ")) from None
    assert isinstance(cfg, ModellingConfig)
    return _check(cfg)


def _check(cfg: ModellingConfig) -> ModellingConfig:
    """Cross-field checks the types cannot express."""
    cost = cfg.evaluation.cost
    if cost.false_negative <= 0 or cost.false_positive <= 0:
        raise ConfigError("evaluation.cost: false_negative and false_positive must be positive")
    if cfg.tuning.max_evals < 0:
        raise ConfigError("tuning.max_evals must be 0 (no tuning) or more")
    if cfg.tuning.max_evals > 0 and not cfg.model.search_space:
        raise ConfigError(
            f"tuning.max_evals is {cfg.tuning.max_evals} but model {cfg.model.name} has no search_space"
        )
    if not 0 < cfg.resampling.sampling_strategy <= 1:
        raise ConfigError("resampling.sampling_strategy (minority / majority ratio) must be in (0, 1]")
    if not 0 <= cfg.registry.min_test_roc_auc <= 1:
        raise ConfigError("registry.min_test_roc_auc must be in [0, 1]")
    for name, p in cfg.model.search_space.items():
        if p.options is None and (p.low is None or p.high is None or p.low >= p.high):
            raise ConfigError(f"model.search_space.{name}: needs low < high (or options)")
    return cfg


def load_modelling_config(
    params_file: Path | str = DEFAULT_PARAMS_FILE, overrides: Sequence[str] = ()
) -> ModellingConfig:
    """The configuration the modelling stages run with: params.yaml plus dotlist overrides."""
    path = Path(params_file)
    if not path.is_file():
        raise ConfigError(f"{path} not found: generate it from conf/ with `python pipelines/params.py`")
    try:
        container = OmegaConf.load(path)
    except Exception as exc:  # yaml errors
        raise ConfigError(f"{path}: cannot be read as YAML: {exc}") from None
    return to_modelling_config(container, overrides)


def default_groups(conf_dir: Path = DEFAULT_CONF_DIR) -> set[str]:
    """Groups named in the defaults list of conf/config.yaml."""
    text = (Path(conf_dir) / f"{DEFAULT_CONFIG_NAME}.yaml").read_text(encoding="utf-8")
    defaults = yaml.safe_load(text).get("defaults", [])
    return {k for entry in defaults if isinstance(entry, dict) for k in entry}


def hydra_overrides(
    overrides: Sequence[str], fallback: dict[str, str], conf_dir: Path = DEFAULT_CONF_DIR
) -> list[str]:
    """Overrides valid for conf/ whether or not its defaults list has the modelling groups yet.

    A group absent from the defaults list is appended (`+group=option`, the caller's option or `fallback`);
    `paths.*` values are force-added (`++paths.key=value`).
    """
    present = default_groups(conf_dir)
    out: list[str] = []
    chosen: set[str] = set()
    for item in overrides:
        key, _, _ = item.partition("=")
        if key in MODELLING_GROUPS and key not in present:
            out.append(f"+{item}")
            chosen.add(key)
        elif key.startswith("paths."):
            out.append(f"++{item}")
        else:
            out.append(item)
            chosen.add(key)
    out += [f"+{g}={o}" for g, o in fallback.items() if g not in present and g not in chosen]
    return out


def compose_modelling_config(
    overrides: Sequence[str] = (), fallback: dict[str, str] | None = None, conf_dir: Path = DEFAULT_CONF_DIR
) -> tuple[DictConfig, ModellingConfig]:
    """Compose conf/ with Hydra overrides (tests, benchmarks): the resolved container and its modelling part."""
    container = compose(hydra_overrides(overrides, fallback or {}, conf_dir), conf_dir)
    return container, to_modelling_config(container)


def run_stage(name: str, stage: Callable[..., Any], argv: Sequence[str] | None = None) -> int:
    """``python pipelines/<stage>.py [--params FILE] [key=value ...]``: run `stage(cfg, log=...)`.

    Returns the exit code; a project error prints one message on stderr and gives 1, without a traceback.
    """
    return stage_main(name, stage, argv, loader=load_modelling_config, failure_note=None)
