"""Master scale: grades, per-grade tests and lights, Herfindahl, migration matrix."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.errors import InputDataError
from credit_scoring.stats.calibration_tests import binomial_test, jeffreys_test
from credit_scoring.stats.master_scale import (
    assign_grades,
    herfindahl,
    master_scale,
    migration_matrix,
    migration_summary,
    pd_migration,
    traffic_light,
)

EDGES = [0.01, 0.05, 0.2]


def test_grades_are_right_open_bands() -> None:
    assert assign_grades(np.array([0.0, 0.0099, 0.01, 0.049, 0.05, 0.3, 1.0]), EDGES).tolist() == [
        1, 1, 2, 2, 3, 4, 4,
    ]  # fmt: skip


def test_edges_must_increase_inside_unit_interval() -> None:
    for bad in ([0.1, 0.05], [0.0, 0.5], [0.5, 1.0], []):
        with pytest.raises(InputDataError, match="band edge"):
            assign_grades(np.array([0.1]), bad)


def test_master_scale_flags_the_miscalibrated_grade() -> None:
    # grade 2 (PD 3%) defaults at 3%; grade 3 (PD 10%) defaults at 30%; grade 1 and 4 empty / tiny
    n2, n3 = 1000, 500
    pd_ = np.r_[np.full(n2, 0.03), np.full(n3, 0.10)]
    y = np.r_[np.arange(n2) < 30, np.arange(n3) < 150].astype(int)
    table = master_scale(y, pd_, EDGES, red_below=0.01, amber_below=0.05)
    g = table.set_index("grade")
    assert g.loc[2, "count"] == n2 and g.loc[2, "defaults"] == 30
    assert g.loc[3, "default_rate"] == pytest.approx(0.3)
    assert g.loc[2, "binomial_p"] == pytest.approx(float(binomial_test(n2, 30, 0.03)))
    assert g.loc[3, "jeffreys_p"] == pytest.approx(float(jeffreys_test(n3, 150, 0.10)))
    assert g.loc[2, "light"] == "green" and g.loc[3, "light"] == "red"
    assert g.loc[1, "light"] == "n/a" and g.loc[1, "count"] == 0
    assert g["share"].sum() == pytest.approx(1.0)


def test_traffic_light_bounds() -> None:
    lights = traffic_light(np.array([0.001, 0.02, 0.5, np.nan]), red_below=0.01, amber_below=0.05)
    assert lights.tolist() == ["red", "amber", "green", "n/a"]


def test_herfindahl_even_and_concentrated() -> None:
    even = herfindahl(np.array([25, 25, 25, 25]))
    assert (even.hhi, even.normalised) == pytest.approx((0.25, 0.0))
    one = herfindahl(np.array([0, 100, 0, 0]))
    assert (one.hhi, one.normalised) == pytest.approx((1.0, 1.0))
    assert herfindahl(np.array([1, 3])).hhi == pytest.approx(0.25**2 + 0.75**2)


def test_migration_matrix_counts_and_summary() -> None:
    champion = np.array([1, 1, 2, 3, 3, 3])
    challenger = np.array([1, 2, 2, 1, 3, 3])
    m = migration_matrix(champion, challenger, 3)
    assert m.to_numpy().tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    s = migration_summary(m)
    assert s["same"] == pytest.approx(4 / 6)
    assert s["within_one"] == pytest.approx(5 / 6)
    assert (s["upgraded"], s["downgraded"]) == pytest.approx((1 / 6, 1 / 6))
    with pytest.raises(InputDataError, match="1..3"):
        migration_matrix(np.array([4]), np.array([1]), 3)


def test_pd_migration_grades_both_models_on_the_scale() -> None:
    champion = np.array([0.005, 0.02, 0.1, 0.5])
    challenger = np.array([0.02, 0.02, 0.3, 0.009])
    m = pd_migration(champion, challenger, EDGES)
    assert m.shape == (4, 4) and int(m.to_numpy().sum()) == 4
    assert (m.loc[1, 2], m.loc[2, 2], m.loc[3, 4], m.loc[4, 1]) == (1, 1, 1, 1)
