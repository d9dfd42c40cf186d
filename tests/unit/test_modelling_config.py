"""Modelling configuration: every option file of the modelling groups validates; bad settings are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from credit_scoring.config.schema import DEFAULT_CONF_DIR
from credit_scoring.errors import ConfigError
from credit_scoring.config.modelling_loader import compose_modelling_config, hydra_overrides
from credit_scoring.config.modelling import (
    EvaluationConfig,
    ModelConfig,
    ModelKind,
    RegistryConfig,
    ResamplingConfig,
    ResamplingMethod,
    TuningConfig,
)

SCHEMAS = {
    "resampling": ResamplingConfig,
    "model": ModelConfig,
    "tuning": TuningConfig,
    "evaluation": EvaluationConfig,
    "registry": RegistryConfig,
}
FALLBACK = {"model": "lightgbm", "tuning": "hyperopt", "evaluation": "default", "registry": "default"}
PATHS = [f"paths.{k}=/tmp/x/{k}" for k in ("resample", "train", "register", "oracle", "data_dvc")]


def option_files() -> list[tuple[str, Path]]:
    return [(group, path) for group in SCHEMAS for path in sorted((DEFAULT_CONF_DIR / group).glob("*.yaml"))]


@pytest.mark.parametrize("group, path", option_files(), ids=lambda v: getattr(v, "stem", v))
def test_every_option_file_validates(group: str, path: Path) -> None:
    cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(SCHEMAS[group]), OmegaConf.load(path)))
    assert cfg.name == path.stem


def test_required_options_exist() -> None:
    names = {g: {p.stem for gg, p in option_files() if gg == g} for g in SCHEMAS}
    assert {"dummy", "logreg", "lightgbm", "xgboost"} <= names["model"]
    assert {"none", "class_weight", "random_under", "smote", "adasyn", "smote_tomek"} <= names["resampling"]


def test_composition_with_group_switches() -> None:
    _, cfg = compose_modelling_config(["model=xgboost", "resampling=smote", *PATHS], FALLBACK)
    assert cfg.model.kind is ModelKind.xgboost and cfg.resampling.method is ResamplingMethod.smote
    assert cfg.evaluation.cost.false_negative == 10 and cfg.evaluation.cost.false_positive == 1
    space = cfg.model.search_space
    assert isinstance(space["max_depth"].low, float) and space["max_depth"].type.value == "int"
    _, none = compose_modelling_config(["model=logreg", "resampling=none", "tuning=none", *PATHS], FALLBACK)
    assert none.resampling.method is ResamplingMethod.none and none.tuning.max_evals == 0


@pytest.mark.parametrize(
    "override, message",
    [
        ("evaluation.cost.false_negative=-1", "cost"),
        ("resampling.sampling_strategy=1.5", "sampling_strategy"),
        ("+model.unknown_knob=1", "unknown_knob"),
        ("model.search_space.num_leaves.low=100", "low < high"),
        ("registry.min_test_roc_auc=2", "min_test_roc_auc"),
    ],
)
def test_bad_settings_are_refused(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compose_modelling_config(["model=lightgbm", *PATHS, override], FALLBACK)


def test_overrides_append_groups_missing_from_the_defaults_list(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("defaults:\n  - model: default\n  - _self_\n")
    out = hydra_overrides(
        ["model=xgboost", "tuning=quick", "paths.train=/t"], {"registry": "default"}, tmp_path
    )
    assert out == ["model=xgboost", "+tuning=quick", "++paths.train=/t", "+registry=default"]
