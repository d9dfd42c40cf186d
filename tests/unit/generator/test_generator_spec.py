"""The packaged spec and its samplers reproduce the published Home Credit marginals."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from credit_scoring.generator.spec import load_spec

REAL_COLUMNS = Path(__file__).parents[2] / "data" / "home_credit_columns.csv"
N = 200_000


def real_columns() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    with REAL_COLUMNS.open() as f:
        for row in csv.DictReader(f):
            out.setdefault(row["table"], []).append((row["column"], row["dtype"]))
    return out


def test_spec_lists_every_real_column_in_file_order() -> None:
    spec = load_spec()
    real = real_columns()
    assert set(spec.tables) == set(real)
    for table, cols in real.items():
        assert [(c.name, c.dtype) for c in spec[table].columns] == cols, table
    assert len(spec["application_train"].columns) == 122
    assert len(spec["application_test"].columns) == 121


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("application_train", "AMT_INCOME_TOTAL"),
        ("application_train", "EXT_SOURCE_1"),
        ("application_train", "DAYS_BIRTH"),
        ("application_train", "APARTMENTS_AVG"),
        ("bureau", "DAYS_CREDIT"),
        ("installments_payments", "AMT_INSTALMENT"),
    ],
)
def test_numeric_sampler_matches_published_quantiles_and_missing_rate(table: str, column: str) -> None:
    col = load_spec()[table][column]
    rng = np.random.default_rng(0)
    v = col.sample(rng.standard_normal(N), rng)
    present = v[~np.isnan(v)]
    assert abs(np.isnan(v).mean() - col.missing_rate) < 0.01
    spread = col.stats["p75"] - col.stats["p25"]
    for q, key in ((0.25, "p25"), (0.5, "median"), (0.75, "p75")):
        assert abs(np.quantile(present, q) - col.stats[key]) < 0.03 * spread, key
    assert present.min() >= col.stats["min"] and present.max() <= col.stats["max"]


def test_heavy_tail_is_fitted_to_the_published_mean() -> None:
    col = load_spec()["application_train"]["AMT_CREDIT"]
    rng = np.random.default_rng(1)
    v = col.sample(rng.standard_normal(N), rng)
    assert abs(v.mean() / col.stats["mean"] - 1) < 0.05


def test_categorical_sampler_reproduces_level_shares_and_order() -> None:
    col = load_spec()["application_train"]["NAME_EDUCATION_TYPE"]
    rng = np.random.default_rng(2)
    z = rng.standard_normal(N)
    v = col.sample(z, rng, order=["Lower secondary", "Secondary / secondary special", "Higher education"])
    for level, share in col.levels.items():
        assert abs((v == level).mean() - share) < 0.005, level
    # the order puts low scores in the first level, high scores in the last listed
    assert z[v == "Lower secondary"].mean() < z[v == "Higher education"].mean()


def test_exclude_renormalises_remaining_levels() -> None:
    col = load_spec()["application_train"]["ORGANIZATION_TYPE"]
    rng = np.random.default_rng(3)
    v = col.sample(rng.standard_normal(N), rng, exclude=["XNA"])
    assert not (v == "XNA").any()
    share = col.levels["Business Entity Type 3"] / (1 - col.levels["XNA"])
    assert abs((v == "Business Entity Type 3").mean() - share) < 0.005


def test_unknown_level_in_order_is_refused_with_its_name() -> None:
    col = load_spec()["application_train"]["CODE_GENDER"]
    with pytest.raises(ValueError, match="CODE_GENDER.*Q"):
        col.sample(np.zeros(3), np.random.default_rng(0), order=["Q"])


def test_sentinel_share_is_kept_among_present_values() -> None:
    col = load_spec()["previous_application"]["DAYS_FIRST_DRAWING"]
    rng = np.random.default_rng(4)
    v = col.sample(rng.standard_normal(N), rng)
    present = v[~np.isnan(v)]
    assert abs((present == 365243).mean() - col.sentinel_share_of_present) < 0.01
    assert (present[present != 365243] <= 0).all()
