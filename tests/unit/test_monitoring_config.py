"""Monitoring settings: the YAML mirrors the dataclasses, impossible values are refused."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.errors import ConfigError


def _yaml(repo_root):
    return repo_root / "conf" / "monitoring" / "default.yaml"


def test_yaml_mirrors_the_dataclasses(repo_root) -> None:
    path = _yaml(repo_root)
    assert MonitoringConfig.from_yaml(path) == MonitoringConfig()
    structured = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(MonitoringConfig), OmegaConf.load(path))
    )
    assert structured == MonitoringConfig()  # usable as the Hydra group's schema as is


def test_placeholder_form_is_accepted() -> None:
    cfg = MonitoringConfig.from_mapping({"name": "default", "options": {"drift": {"alpha": 0.01}}})
    assert cfg.drift.alpha == 0.01


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"psi": {"bins": 1}}, "psi.bins"),
        ({"psi": {"moderate": 0.3, "significant": 0.2}}, "moderate < significant"),
        ({"drift": {"correction": "holm"}}, "correction"),
        ({"fairness": {"age_edges": [35, 25]}}, "age_edges"),
        ({"policy": {"max_drifted_share": 1.5}}, "max_drifted_share"),
        ({"psi": {"binz": 3}}, "unknown key"),
    ],
)
def test_bad_settings_are_refused(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        MonitoringConfig.from_mapping(data)
