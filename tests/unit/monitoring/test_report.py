"""summary.json schema, the drift HTML page, the model card, the reports index, drift over time."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.modelling import CostConfig
from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.monitoring.drift import bin_table, drift_table
from credit_scoring.monitoring.drift_report import write_drift_report
from credit_scoring.monitoring.fairness import fairness_report
from credit_scoring.monitoring.index import list_reports, write_index
from credit_scoring.monitoring.model_card import write_model_card
from credit_scoring.monitoring.performance import compare_performance, performance_metrics
from credit_scoring.monitoring.policy import evaluate_policy
from credit_scoring.monitoring.series import psi_matrix, psi_series, write_series_report
from credit_scoring.monitoring.summary import build_summary

MON = load_monitoring()  # conf/monitoring/default.yaml
COST = CostConfig(false_negative=10.0, false_positive=1.0)


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    n = 3000
    ref = pd.DataFrame({
        "AMT_CREDIT": rng.lognormal(12, 0.5, n),
        "NAME_CONTRACT_TYPE": rng.choice(["Cash loans", "Revolving loans"], n, p=[0.9, 0.1]),
        "EXT_SOURCE_2": rng.uniform(size=n),
        "empty": np.full(n, np.nan),
        "score": rng.beta(1, 9, n),
    })  # fmt: skip
    cur = ref.sample(1000, random_state=1).reset_index(drop=True)
    cur["AMT_CREDIT"] = cur["AMT_CREDIT"] * 1.5
    cur["score"] = rng.beta(2, 9, 1000)
    return ref, cur


def test_summary_schema(frames) -> None:
    ref, cur = frames
    cfg = MON
    table = drift_table(ref, cur, score_column="score", cfg=cfg)
    verdict = evaluate_policy(table, cfg.policy)
    doc = build_summary(table, verdict, cfg, metadata={"current": "batch"}, raw_columns=["AMT_CREDIT"])
    json.dumps(doc, allow_nan=False)  # strict JSON: no NaN anywhere
    assert set(doc["features"]) == {"AMT_CREDIT", "NAME_CONTRACT_TYPE", "EXT_SOURCE_2", "empty"}
    credit = doc["features"]["AMT_CREDIT"]
    assert {"psi", "band", "drifted", "p_adjusted", "kind"} <= set(credit)
    assert credit["drifted"] is True and credit["band"] == "significant"
    assert doc["features"]["EXT_SOURCE_2"]["drifted"] is False
    assert doc["score"]["name"] == "score" and doc["score"]["drifted"] is True
    assert doc["policy"]["status"] == "action required"
    assert doc["raw_columns"]["AMT_CREDIT"]["drifted"] is True
    assert doc["counts"]["features"] == 4 and doc["config"]["psi"]["bins"] == 10


def test_drift_report_files(frames, tmp_path) -> None:
    ref, cur = frames
    cfg = MON
    table = drift_table(ref, cur, score_column="score", cfg=cfg)
    verdict = evaluate_policy(table, cfg.policy)
    perf = compare_performance(
        performance_metrics(np.r_[np.zeros(900), np.ones(100)], cur["score"], 0.5, COST, 10),
        None,
        cfg.performance,
    )
    paths = write_drift_report(
        tmp_path / "drift", table, verdict, cfg, metadata={"current": "x"}, performance=perf,
        score_bins=bin_table(ref, cur, "score", cfg.psi),
    )  # fmt: skip
    html = paths["html"].read_text()
    assert "ACTION REQUIRED" in html and "AMT_CREDIT" in html and "Performance on the labelled batch" in html
    assert json.loads(paths["summary"].read_text())["schema"] == 1
    assert not [p for p in (tmp_path / "drift").iterdir() if p.name.startswith(".")]  # no temp files left


def test_model_card(tmp_path) -> None:
    frame = pd.DataFrame({"CODE_GENDER": ["F"] * 4 + ["M"] * 4, "DAYS_BIRTH": [-365.25 * 30] * 8})
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.2, 0.6, 0.1, 0.8, 0.3, 0.2, 0.1])
    fair = fairness_report(frame, p, y, 0.5, replace(MON.fairness, min_group_size=1))
    perf = performance_metrics(y, p, 0.5, COST, 10)
    paths = write_model_card(
        tmp_path, model={"name": "credit_scoring", "version": 3}, training_data={"rows": 8},
        metrics={"roc_auc": perf["roc_auc"], "brier": perf["brier"]}, calibration=perf["calibration"],
        fairness=fair, threshold=0.5, cost=COST,
    )  # fmt: skip
    md = paths["md"].read_text()
    for heading in (
        "## Intended use",
        "## Limits",
        "## Training data",
        "## Metrics",
        "## Calibration",
        "## Threshold and cost assumptions",
        "## Results by group",
        "### CODE_GENDER",
        "### AGE_BAND",
    ):
        assert heading in md, heading  # fmt: skip
    assert "Demographic parity difference: **0.25**" in md
    assert "⚠" in md and "equal opportunity difference 0.500" in md
    assert "<svg" in paths["svg"].read_text()
    html = paths["html"].read_text()
    assert "<table>" in html and "model_card_calibration.svg" in html and "<h1>Model card" in html


def test_index_lists_reports_newest_first(tmp_path) -> None:
    (tmp_path / "drift").mkdir()
    (tmp_path / "old.html").write_text("<html><head><title>Old report</title></head></html>")
    (tmp_path / "model_card.md").write_text("# Model card: x\n")
    (tmp_path / "drift" / "report.html").write_text("<title>Drift report</title>")
    (tmp_path / "drift" / "summary.json").write_text(
        json.dumps({"generated_at": "2999-01-01T00:00:00+00:00", "policy": {"status": "action required"}})
    )
    past = time.time() - 86_400
    os.utime(tmp_path / "old.html", (past, past))
    index = write_index(tmp_path)
    entries = list_reports(tmp_path)
    assert [e["path"] for e in entries] == ["drift/report.html", "model_card.md", "old.html"]
    assert entries[0]["status"] == "action required" and entries[2]["title"] == "Old report"
    text = index.read_text()
    assert "href='drift/report.html'" in text and "index.html" not in [e["path"] for e in entries]


def test_series_psi_grows_with_the_drift(tmp_path) -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {"x": rng.normal(size=5000), "y": rng.normal(size=5000), "score": rng.uniform(size=5000)}
    )
    batches = {
        f"2024-{m:02d}": pd.DataFrame({"x": rng.normal(size=800) + 0.1 * m, "y": rng.normal(size=800),
                                       "score": rng.uniform(size=800)})
        for m in range(1, 7)
    }  # fmt: skip
    series = psi_series(ref, batches, score_column="score", cfg=MON)
    matrix = psi_matrix(series)
    assert list(matrix.columns) == list(batches)
    assert (np.diff(matrix.loc["x"].to_numpy()) > 0).sum() >= 4  # grows month by month (noise aside)
    assert matrix.loc["x"].iloc[-1] > 0.2 and matrix.loc["y"].max() < 0.05
    assert bool(series.query("feature == 'x' and batch == '2024-06'")["drifted"].iloc[0])
    path = write_series_report(series, tmp_path / "series.html", MON)
    assert "2024-06" in path.read_text()
