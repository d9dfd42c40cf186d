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
    trial_folds,
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
        ("tuning.cv_folds=-2", "cv_folds and model.max_cv_folds must be 0"),
        ("++model.max_cv_folds=-1", "must be 0"),
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


def test_trial_folds_cap_the_costly_kinds() -> None:
    """tuning=hyperopt judges a trial on 5 folds; the scorecard (every fit re-bins every feature) caps them
    to the validation split, LightGBM keeps them; an explicit model.max_cv_folds caps, never raises."""
    lgbm = compose_config(["model=lightgbm", "tuning=hyperopt", *PATHS])
    card = compose_config(["model=scorecard", "tuning=hyperopt", *PATHS])
    assert lgbm.tuning.cv_folds == card.tuning.cv_folds == 5
    assert trial_folds(lgbm.tuning, lgbm.model) == 5 and trial_folds(card.tuning, card.model) == 0
    three = compose_config(["model=scorecard", "tuning=hyperopt", "model.max_cv_folds=3", *PATHS])
    assert trial_folds(three.tuning, three.model) == 3
    more = compose_config(["model=lightgbm", "tuning=hyperopt", "++model.max_cv_folds=8", *PATHS])
    assert trial_folds(more.tuning, more.model) == 5
    one = compose_config(["model=lightgbm", "tuning=hyperopt", "++model.max_cv_folds=1", *PATHS])
    assert trial_folds(one.tuning, one.model) == 0  # one fold is the validation split
