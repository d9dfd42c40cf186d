"""The validation document and page on tiny inline populations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config import Config, compose_config
from credit_scoring.monitoring.validation import (
    headline,
    iv_table,
    labelled_validation,
    production_section,
    validate_scores,
)
from credit_scoring.monitoring.validation_report import render_validation


@pytest.fixture(scope="module")
def cfg() -> Config:
    return compose_config()


def _population(n: int, seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pd_ = rng.beta(1.2, 12, n)
    y = (rng.uniform(size=n) < np.minimum(pd_ * scale, 1)).astype(int)
    return y, pd_


def test_battery_on_a_calibrated_population(cfg: Config) -> None:
    y, p = _population(3000, 1)
    doc = validate_scores(y, p, cfg.validation, cfg.evaluation.calibration_bins)
    grades = doc["master_scale"]
    assert len(grades) == len(cfg.validation.grade_edges) + 1
    assert sum(g["count"] for g in grades) == 3000
    assert sum(g["defaults"] for g in grades) == y.sum()
    assert doc["lights"]["red"] == 0
    lo, auc, hi = (doc["discrimination"]["roc_auc"][k] for k in ("lower", "auc", "upper"))
    assert lo < auc < hi
    assert doc["discrimination"]["gini"]["gini"] == pytest.approx(2 * auc - 1)
    assert doc["calibration"]["hosmer_lemeshow"]["p_value"] > 0.001
    from credit_scoring.monitoring.performance import performance_metrics

    card = performance_metrics(y, p, 0.5, cfg.evaluation.cost, cfg.evaluation.calibration_bins)
    assert doc["calibration"]["ece"] == pytest.approx(card["ece"])  # the model card's ECE
    assert doc["calibration"]["brier"] == pytest.approx(card["brier"])


def test_underestimated_pds_turn_grades_red(cfg: Config) -> None:
    y, p = _population(3000, 2, scale=3.0)  # defaults three times the PD
    doc = validate_scores(y, p, cfg.validation, cfg.evaluation.calibration_bins)
    assert doc["lights"]["red"] >= 3
    assert doc["calibration"]["spiegelhalter"]["p_value"] < 1e-6


def test_production_section_and_page_are_deterministic(cfg: Config) -> None:
    y, p = _population(2000, 3)
    dev = validate_scores(y, p, cfg.validation, cfg.evaluation.calibration_bins)
    y2, p2 = _population(800, 4)
    prod = production_section(
        dev, p, p2 * 1.5, cfg.validation, cfg.monitoring.psi, cfg.evaluation.calibration_bins, (y2, p2 * 1.5)
    )
    assert prod["grade_psi"]["psi"] > 0.05  # PDs scaled up: the grades moved
    assert prod["labelled"]["auc_vs_development"]["p_value"] > 0.0
    same = production_section(dev, p, p, cfg.validation, cfg.monitoring.psi, cfg.evaluation.calibration_bins)
    assert same["grade_psi"]["psi"] == pytest.approx(0.0) and same["labelled"] is None
    doc = {"model": {"name": "m", "version": "1"}, "test": dev, "production": prod}
    text = json.dumps(doc, allow_nan=False)  # strict JSON: no NaN
    assert text == json.dumps(json.loads(text), allow_nan=False)
    page = render_validation(doc)
    assert page == render_validation(doc)
    assert "Master scale" in page and "Production: labelled rows" in page and "against development" in page
    assert headline(doc)["validation.production.grade_psi"] == prod["grade_psi"]["psi"]


def test_iv_table_ranks_the_informative_feature_first() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"signal": rng.normal(size=1500), "noise": rng.normal(size=1500)})
    y = (rng.uniform(size=1500) < 1 / (1 + np.exp(-2 * x["signal"]))).astype(int)
    table = iv_table(x, y, ["noise", "signal"], seed=0)
    assert table["feature"].tolist() == ["signal", "noise"]
    assert table.loc[0, "iv"] > 0.3 > table.loc[1, "iv"]


def test_labelled_batch_against_the_reference_auc(cfg: Config) -> None:
    from credit_scoring.monitoring.performance import performance_metrics

    y, p = _population(2000, 6)
    reference = performance_metrics(y, p, 0.5, cfg.evaluation.cost, cfg.evaluation.calibration_bins)
    y2, p2 = _population(1500, 7)
    out = labelled_validation(y2, p2, reference, cfg)
    test = out["auc_vs_development"]
    assert test["difference"] == pytest.approx(out["discrimination"]["roc_auc"]["auc"] - reference["roc_auc"])
    assert test["se"] == pytest.approx(
        np.hypot(out["discrimination"]["roc_auc"]["se"], reference["roc_auc_se"])
    )
    noise = labelled_validation(y2, np.random.default_rng(0).uniform(size=1500), reference, cfg)
    assert noise["auc_vs_development"]["p_value"] < 1e-6 < test["p_value"]
    assert labelled_validation(np.zeros(10), np.full(10, 0.1), reference, cfg) is None


def test_drift_report_shows_the_labelled_batch_validation(cfg: Config) -> None:
    from credit_scoring.monitoring.drift_report import performance_html
    from credit_scoring.monitoring.performance import compare_performance, performance_metrics

    y, p = _population(1000, 8)
    ev = cfg.evaluation
    reference = performance_metrics(y, p, 0.5, ev.cost, ev.calibration_bins)
    perf = compare_performance(reference, reference, cfg.monitoring.performance)
    assert "PD validation of the labelled batch" not in performance_html(perf)
    perf["validation"] = labelled_validation(y, p, reference, cfg)
    page = performance_html(perf)
    assert "PD validation of the labelled batch" in page and "Master scale" in page
