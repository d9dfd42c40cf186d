"""Monitoring settings: a schema like every other group (values in the YAML only), impossible values refused
by the loader, naming the key."""

from __future__ import annotations

import dataclasses

import pytest
from omegaconf import OmegaConf

from credit_scoring.config import compose_config
from credit_scoring.config.monitoring import MonitoringConfig, load_monitoring
from credit_scoring.errors import ConfigError


def _yaml(repo_root):
    return repo_root / "conf" / "monitoring" / "default.yaml"


def test_the_yaml_fills_the_schema_and_the_schema_holds_no_value(repo_root) -> None:
    structured = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(MonitoringConfig), OmegaConf.load(_yaml(repo_root)))
    )
    assert structured == compose_config().monitoring == load_monitoring()
    assert OmegaConf.missing_keys(OmegaConf.structured(MonitoringConfig)) >= {"psi", "drift", "report"}


def test_costs_and_calibration_bins_are_the_pipelines_own() -> None:
    perf = {f.name for f in dataclasses.fields(load_monitoring().performance)}
    assert perf == {"max_auc_drop", "max_cost_increase"}  # evaluation.cost, evaluation.calibration_bins


def test_a_file_of_some_keys_and_overrides_go_on_top_of_the_defaults(tmp_path) -> None:
    path = tmp_path / "monitoring.yaml"
    path.write_text("drift:\n  alpha: 0.01\n")
    cfg = load_monitoring(path, ["psi.bins=5"])
    assert (
        cfg.drift.alpha == 0.01 and cfg.psi.bins == 5 and cfg.drift.min_psi == load_monitoring().drift.min_psi
    )
    with pytest.raises(ConfigError, match="cannot be read"):
        load_monitoring(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("psi.bins=1", "monitoring.psi.bins"),
        ("psi.significant=0.05", "moderate < significant"),
        ("drift.correction=holm", "monitoring.drift.correction"),
        ("fairness.age_edges=[35,25]", "monitoring.fairness.age_edges"),
        ("policy.max_drifted_share=1.5", "monitoring.policy.max_drifted_share"),
        ("psi.binz=3", "binz"),
        ("psi.bins=ten", "psi.bins"),
    ],
)
def test_bad_settings_are_refused(override, message) -> None:
    with pytest.raises(ConfigError, match=message):
        compose_config([f"monitoring.{override}"])
