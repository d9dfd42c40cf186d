"""Unit tests of the plain-words reasons (credit_scoring.serving.explain): labels, grouping, wording.

The SHAP contributions they word are the models' own (tests/unit/modelling/test_models.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config import ColumnType, compose_config
from credit_scoring.config.serving import LabelSpec, PlainWordsConfig, ServingConfig
from credit_scoring.features.encoding import CategoricalEncoder
from credit_scoring.serving.explain import (
    CATEGORY,
    FLAG,
    LOWERS,
    NUMERIC,
    RAISES,
    Labeller,
    Reasoner,
    feature_groups,
)


@pytest.fixture(scope="module")
def serving() -> ServingConfig:
    """The `serving` settings of conf/ (the YAML is their one definition)."""
    return compose_config().serving


@pytest.fixture
def words(serving: ServingConfig) -> PlainWordsConfig:
    """The configured quantiles, with a few labels and words of the test's own."""
    return dataclasses.replace(
        serving.plain_words,
        labels={
            "EXT_SOURCE_3": LabelSpec(label="External score 3"),
            "DAYS_BIRTH": LabelSpec(label="Age", unit="years", scale=-365.25, decimals=1),
            "NAME_INCOME_TYPE": LabelSpec(label="Income type"),
            "FLAG_OWN_CAR": LabelSpec(label="Owns a car"),
        },
        prefixes={"BURO": "Credit bureau", "ACTIVE": "Credit bureau, active credits"},
        suffixes={"MEAN": "average", "COUNT": "number of records"},
        words={"AMT": "amount", "DPD": "days past due", "NAME": ""},
    )


def test_labels_configured_and_worded(words: PlainWordsConfig) -> None:
    lab = Labeller(words)
    assert lab.label("EXT_SOURCE_3") == "External score 3"
    assert lab.label("BURO_AMT_CREDIT_SUM_MEAN") == "Credit bureau: amount credit sum (average)"
    assert lab.label("ACTIVE_DAYS_CREDIT_MEAN") == "Credit bureau, active credits: days credit (average)"
    assert lab.label("BURO_COUNT") == "Credit bureau: number of records"
    assert lab.label("SOME_NEW_COLUMN") == "Some new column"
    assert lab.format("DAYS_BIRTH", -365.25 * 35.5) == "35.5 years"
    assert lab.format("EXT_SOURCE_3", 0.2134) == "0.21"
    assert lab.format("AMT_INCOME_TOTAL", 135000.0) == "135,000"
    assert lab.format("EXT_SOURCE_3", float("nan")) == "missing"
    assert lab.raw("DAYS_BIRTH", 40.0) == pytest.approx(-14610.0)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "EXT_SOURCE_3": [0.2, 0.5, 0.8, np.nan, 0.6, 0.4],
            "NAME_INCOME_TYPE": pd.Categorical(
                ["Working", "Pensioner", "Working", None, "Working", "Pensioner"]
            ),
            "FLAG_OWN_CAR": [0, 1, 1, 0, 0, 1],
            "DAYS_BIRTH": [-9000, -12000, -15000, -20000, -11000, -13000],
        }
    )


def test_feature_groups_put_indicators_together() -> None:
    enc = CategoricalEncoder().fit(_frame())
    groups = feature_groups(list(enc.feature_names_out_), enc, {"FLAG_OWN_CAR": ColumnType.flag})
    by_name = {g.name: g for g in groups}
    assert [g.name for g in groups] == ["EXT_SOURCE_3", "NAME_INCOME_TYPE", "FLAG_OWN_CAR", "DAYS_BIRTH"]
    income = by_name["NAME_INCOME_TYPE"]
    assert income.kind == CATEGORY and len(income.columns) == 3  # two levels + the missing indicator
    assert None in income.levels
    assert by_name["FLAG_OWN_CAR"].kind == FLAG and by_name["EXT_SOURCE_3"].kind == NUMERIC


def test_reasons_are_worded_and_ordered(words: PlainWordsConfig) -> None:
    frame = _frame()
    enc = CategoricalEncoder().fit(frame)
    names = list(enc.feature_names_out_)
    X = enc.transform(frame).to_numpy(dtype="float64", na_value=np.nan)
    groups = feature_groups(names, enc, {"FLAG_OWN_CAR": ColumnType.flag})
    reasoner = Reasoner(groups, Labeller(words), X)
    contributions = np.zeros(len(names))
    contributions[names.index("EXT_SOURCE_3")] = 0.9
    contributions[names.index("NAME_INCOME_TYPE_Working")] = -0.2
    contributions[names.index("NAME_INCOME_TYPE_Pensioner")] = -0.1
    contributions[names.index("FLAG_OWN_CAR")] = 0.05
    contributions[names.index("DAYS_BIRTH")] = 0.4
    reasons = reasoner.reasons(X[0], contributions, k=3)
    assert [r.feature for r in reasons] == ["EXT_SOURCE_3", "DAYS_BIRTH", "NAME_INCOME_TYPE"]
    assert reasons[0].text == f"External score 3 is low (0.20): {RAISES}"
    assert reasons[1].text == f"Age is low (24.6 years): {RAISES}"  # youngest client: days flipped to years
    assert reasons[2].text == f"Income type is Working: {LOWERS}"
    assert reasons[2].contribution == pytest.approx(-0.3)
    flag = reasoner.reasons(X[0], contributions, k=4)[3]
    assert flag.text == f"Owns a car is no: {RAISES}"
    missing = reasoner.reasons(X[3], contributions, k=1)[0]
    assert missing.text == f"External score 3 is missing: {RAISES}"
    importance = reasoner.importance(np.vstack([contributions, -contributions]))
    assert importance["feature"].iloc[0] == "EXT_SOURCE_3"
    assert importance["importance"].iloc[0] == pytest.approx(0.9)


def test_the_app_configuration_labels_load(serving: ServingConfig) -> None:
    cfg = serving
    lab = Labeller(cfg.plain_words)
    assert lab.label("EXT_SOURCE_3") == "External score 3"
    assert lab.label("INSTAL_DPD_MEAN") == "Instalments: average days past due"
    assert lab.label("PREV_AMT_ANNUITY_MAX") == "Previous applications: amount annuity (maximum)"
    assert "AMT_INCOME_TOTAL" in cfg.what_if_fields
