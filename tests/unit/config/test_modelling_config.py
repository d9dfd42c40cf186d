"""Modelling configuration: every option file of the modelling groups validates; bad settings are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from credit_scoring.config import DEFAULT_CONF_DIR, compose_config
from credit_scoring.config.modelling import (
    EvaluationConfig,
    ModelConfig,
    ModelKind,
    RegistryConfig,
    ResamplingConfig,
    ResamplingMethod,
    TuningConfig,
)
from credit_scoring.errors import ConfigError

SCHEMAS = {
    "resampling": ResamplingConfig,
    "model": ModelConfig,
    "tuning": TuningConfig,
    "evaluation": EvaluationConfig,
    "registry": RegistryConfig,
}
PATHS = [f"paths.{k}=/tmp/x/{k}" for k in ("resample", "train", "register", "oracle", "data_dvc")]


def option_files() -> list[tuple[str, Path]]:
    return [(group, path) for group in SCHEMAS for path in sorted((DEFAULT_CONF_DIR / group).glob("*.yaml"))]


@pytest.mark.parametrize("group, path", option_files(), ids=lambda v: getattr(v, "stem", v))
def test_every_option_file_validates(group: str, path: Path) -> None:
    root = OmegaConf.create({"dataset": {"name": "any"}, "option": OmegaConf.load(path)})
    OmegaConf.resolve(root)  # an option may refer to other groups (registry.model_name names the dataset)
    cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(SCHEMAS[group]), root.option))
    assert cfg.name == path.stem


def test_required_options_exist() -> None:
    names = {g: {p.stem for gg, p in option_files() if gg == g} for g in SCHEMAS}
    assert {"dummy", "logreg", "lightgbm", "xgboost"} <= names["model"]
    assert {"none", "class_weight", "random_under", "smote", "adasyn", "smote_tomek"} <= names["resampling"]


def test_composition_with_group_switches() -> None:
    cfg = compose_config(["model=xgboost", "resampling=smote", *PATHS])
    assert cfg.model.kind is ModelKind.xgboost and cfg.resampling.method is ResamplingMethod.smote
    assert cfg.evaluation.cost.false_negative == 10 and cfg.evaluation.cost.false_positive == 1
    space = cfg.model.search_space
    assert isinstance(space["max_depth"].low, float) and space["max_depth"].type.value == "int"
    none = compose_config(["model=logreg", "resampling=none", "tuning=none", *PATHS])
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
        compose_config(["model=lightgbm", *PATHS, override])


def test_registered_model_name_follows_the_dataset() -> None:
    """One lineage per dataset: each portfolio has its own registered model (and champion)."""
    home = compose_config(PATHS)
    single = compose_config(["dataset=single_table", *PATHS])
    assert home.registry.model_name == "credit_scoring-home_credit"
    assert single.registry.model_name == f"credit_scoring-{single.dataset.name}" != home.registry.model_name
    assert home.registry.replace_incomparable is False
