"""Configuration: conf/ composes and validates, bad settings are refused, params.yaml matches conf/."""

from __future__ import annotations

import subprocess
import sys

import pytest

from credit_scoring.config import AggFunc, ColumnType, EncodingMethod, compose_config, load_config
from credit_scoring.errors import ConfigError


def test_default_composition_is_typed() -> None:
    cfg = compose_config()
    assert cfg.dataset.name == "home_credit"
    assert cfg.dataset.tables["application_train"].types["TARGET"] is ColumnType.int
    assert len(cfg.dataset.tables["application_train"].types) == 122
    assert len(cfg.dataset.tables["application_test"].types) == 121
    assert cfg.features.encoding.method is EncodingMethod.onehot
    assert set(cfg.dataset.aggregations[1].numeric["DAYS_CREDIT"].split()) <= set(AggFunc.__members__)


def test_group_options_switch() -> None:
    cfg = compose_config(["dataset=single_table", "features=minimal", "split.seed=7"])
    assert cfg.dataset.name == "single_table" and cfg.dataset.aggregations == []
    assert cfg.features.side_features is False and cfg.split.seed == 7


@pytest.mark.parametrize(
    "override, message",
    [
        ("+features.unknown_knob=1", "unknown_knob"),
        ("split.valid_size=0.9", "split.valid_size"),
        ("split.seed=abc", "seed"),
        ("dataset.train_table=nope", "train_table"),
        ("dataset.aggregations.0.numeric.MONTHS_BALANCE='median bogus'", "bogus"),
        ("dataset.tables.bureau.columns.float='AMT_ANNUITY DAYS_CREDIT'", "more than once"),
    ],
)
def test_bad_settings_are_refused(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compose_config([override])


def test_load_config_names_missing_params_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="params.py"):
        load_config(tmp_path / "params.yaml")


def test_params_yaml_is_generated_from_conf(repo_root) -> None:
    """params.yaml is committed and never hand-edited: it must equal what conf/ composes to."""
    done = subprocess.run(
        [sys.executable, "pipelines/params.py", "--check"], cwd=repo_root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    cfg = load_config(repo_root / "params.yaml")
    assert cfg == compose_config()
