"""The decision letter and the words of the page in each language (app.letter, app.texts, app.locales), on
a hand-made score: no champion, no browser."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from app.letter import letter_html
from app.locales import EN, FR, percent, t
from app.texts import change_sentence, decision_markdown, no_change_text, reasons_markdown

from credit_scoring.config import compose_config
from credit_scoring.serving.counterfactual import Change, Counterfactual
from credit_scoring.serving.explain import RAISES, Labeller, Reason
from credit_scoring.serving.results import ScoreResult


def _refused() -> ScoreResult:
    reason = Reason("EXT_SOURCE_3", "External score 3", "0.21", "low", 0.8, RAISES, "External score 3 is low")
    return ScoreResult(100002, "production", 0.23, 0.1, True, [reason], "7", None, np.zeros(3))


def test_every_language_has_every_word() -> None:
    assert set(EN) == set(FR)
    assert t("fr-FR", "tab_context") == "Contexte" and t("de", "tab_context") == "Context"
    assert percent(0.123, "en") == "12.3%" and percent(0.123, "fr") == "12,3 %"


def test_the_decision_in_french_and_english() -> None:
    result = _refused()
    assert "✖ REFUSÉ" in decision_markdown(result, "fr") and "23,0 %" in decision_markdown(result, "fr")
    assert "✖ REFUSED" in decision_markdown(result, "en")
    assert reasons_markdown(result, "fr").startswith("### Principales raisons")


def test_the_letter_holds_the_decision_the_reasons_and_the_right_to_a_review() -> None:
    when = datetime(2026, 12, 1, tzinfo=UTC)
    page = letter_html(_refused(), "With a credit amount of 1 instead of 2, granted.", "en", when)
    for expected in (
        "100002",
        "REFUSED",
        "External score 3 is low",
        "article 22",
        "December 1, 2026",
        "23.0%",
    ):
        assert expected in page
    assert "What would change the decision" in page and 'lang="en"' in page
    french = letter_html(_refused(), "", "fr", when)
    assert "REFUSÉ" in french and "1 décembre 2026" in french and "RGPD, article 22" in french
    assert "Ce qui changerait" not in french  # no change given: no such paragraph


def test_what_would_change_in_words() -> None:
    cfg = compose_config()
    en = Labeller(cfg.serving.plain_words)
    fr = Labeller(cfg.serving.plain_words, (), cfg.serving.translations["fr"], "fr")
    change = Counterfactual(
        (Change("AMT_CREDIT", "Credit amount", 240_000.0, 180_000.0, "240,000", "180,000"),),
        0.08,
        0.1,
        (10.0, 7.5),
    )
    sentence = change_sentence(change, en, "en")
    assert sentence.startswith("With a credit amount of 180,000 instead of 240,000 (a term of 7.5 annuities")
    assert "would be granted" in sentence
    assert change_sentence(change, fr, "fr").startswith(
        "Avec Montant du crédit de 180\u202f000 au lieu de 240\u202f000"
    )
    assert "credit amount" in no_change_text(["AMT_CREDIT"], en, "en")


def test_the_model_card_in_french() -> None:
    from app.texts import model_markdown

    info = {
        "model_name": "credit_scoring-home_credit",
        "alias": "champion",
        "version": "3",
        "run_name": "train",
        "run_id": "abc",
        "model_kind": None,
        "trained_at": "2026-12-01 10:00 UTC",
        "registered_at": "2026-12-01 10:05 UTC",
        "threshold": 0.1234,
        "cost_false_negative": 10.0,
        "cost_false_positive": 1.0,
        "gate_reason": "",
        "loaded_at": "now",
        "last_alias_check": "now",
        "reload_seconds": 30,
        "test_metrics": {"roc_auc": 0.75, "refusal_rate": 0.2},
    }
    fr, en = model_markdown(info, "fr"), model_markdown(info, "en")
    assert "### Modèle champion" in fr and "| Seuil de décision | 0,1234 (refus à partir du seuil) |" in fr
    assert "part des clients refusés" in fr and "toutes les 30 s" in fr and "non enregistré" in fr
    assert "### Champion model" in en and "| Decision threshold | 0.1234 (refused at or above) |" in en
    assert "Modèle" not in en and "Decision threshold" not in fr


def test_the_what_if_fields_words_in_french() -> None:
    from app.layout import field_words

    from credit_scoring.serving.requests import FieldInfo

    cfg = compose_config([])
    fr = Labeller(cfg.serving.plain_words, (), cfg.serving.translations["fr"], "fr")
    en = Labeller(cfg.serving.plain_words)
    income = FieldInfo("NAME_INCOME_TYPE", "Income type", "category", "", ["Working", "Pensioner"], False)
    words = field_words(income, fr, "fr")
    assert words == {
        "label": "Type de revenu",
        "choices": [("salarié", "Working"), ("retraité", "Pensioner")],
    }
    assert field_words(income, en, "en")["choices"][0] == ("Working", "Working")  # the value stays the code
    car = FieldInfo("FLAG_OWN_CAR", "Owns a car", "flag", "", [], False)
    assert field_words(car, fr, "fr") == {
        "label": "Possède une voiture",
        "choices": [("oui", "yes"), ("non", "no")],
    }
