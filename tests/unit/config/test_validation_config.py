"""The validation group: composed from conf/, its ranges checked with the key named."""

from __future__ import annotations

import pytest

from credit_scoring.config import compose_config
from credit_scoring.errors import ConfigError


def test_default_validation_group_has_ten_grades() -> None:
    v = compose_config().validation
    assert len(v.grade_edges) + 1 == 10
    assert v.red_below < v.amber_below


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("validation.grade_edges=[0.2,0.1]", "validation.grade_edges"),
        ("validation.grade_edges=[0.1,1.5]", "validation.grade_edges"),
        ("validation.light_test=chi2", "validation.light_test"),
        ("validation.red_below=0.1", "red_below < amber_below"),
        ("validation.confidence=1.0", "validation.confidence"),
    ],
)
def test_bad_validation_settings_are_named(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compose_config([override])
