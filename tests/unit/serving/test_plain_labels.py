"""Reasons without codes: the labels of the default dataset's most important features (the champion's
importance order of a full run, home_credit_top_features.txt) name no raw feature and no raw code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from credit_scoring.config import compose_config
from credit_scoring.serving.explain import Labeller, categorical_columns

TOP_FEATURES = Path(__file__).with_name("home_credit_top_features.txt").read_text().split()
CODE = re.compile(r"\b[A-Z0-9]*[A-Z]{2,}[A-Z0-9]*\b|_")  # an upper-case code (XAP, HC, AMT) or a column name


@pytest.fixture(scope="module")
def labeller() -> Labeller:
    cfg = compose_config()
    return Labeller(cfg.serving.plain_words, categorical_columns(cfg.dataset))


def test_the_list_covers_the_top_50() -> None:
    assert len(TOP_FEATURES) >= 50 and len(set(TOP_FEATURES)) == len(TOP_FEATURES)


@pytest.mark.parametrize("feature", TOP_FEATURES)
def test_top_feature_labels_hold_no_code(labeller: Labeller, feature: str) -> None:
    label = labeller.label(feature)
    assert feature not in label
    assert not CODE.search(label), f"{feature}: {label!r} holds a code"


def test_level_shares_are_worded_from_the_vocabulary(labeller: Labeller) -> None:
    label = labeller.label("PREV_CODE_REJECT_REASON_XAP_MEAN")
    assert label == "Previous applications: share with reject reason “none”"
    assert "no delay" in labeller.label("CLOSED_STATUS_0_MEAN_MEAN")
    assert labeller.level("NAME_TYPE_SUITE", "XNA") == "not given"  # any column's code


def test_unknown_codes_fall_back_to_readable_words(labeller: Labeller) -> None:
    assert labeller.level("CODE_REJECT_REASON", "NEWCODE") == "newcode"
    assert labeller.level("CHANNEL_TYPE", "Car_dealer") == "Car dealer"
    label = labeller.label("PREV_CODE_REJECT_REASON_NEWCODE_SUM")
    assert label == "Previous applications: number with reject reason “newcode”"


@pytest.fixture(scope="module")
def french() -> Labeller:
    cfg = compose_config()
    serving = cfg.serving
    return Labeller(serving.plain_words, categorical_columns(cfg.dataset), serving.translations["fr"], "fr")


@pytest.mark.parametrize("feature", TOP_FEATURES[:50])
def test_french_labels_hold_no_code(french: Labeller, feature: str) -> None:
    label = french.label(feature)
    assert feature not in label and not CODE.search(label), f"{feature}: {label!r} holds a code"


def test_french_words_and_numbers(french: Labeller) -> None:
    assert (
        french.label("PREV_CODE_REJECT_REASON_XAP_MEAN")
        == "Demandes précédentes: part avec motif de refus « aucun »"
    )
    assert french.format("DAYS_BIRTH", -365.25 * 35.5) == "35,5 ans"
    assert french.format("AMT_INCOME_TOTAL", 135000.0) == "135\u202f000"
    assert french.phrase("raises") == "augmente le risque"
