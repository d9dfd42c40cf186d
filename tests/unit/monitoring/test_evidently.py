"""The Evidently wrapper on a tiny frame (Evidently's import alone takes ~30 s on a busy 2-core machine)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.monitoring.evidently_report import parse_snapshot, run_evidently, top_features


def test_top_features_by_absolute_importance() -> None:
    imp = {"a": 0.1, "b": -0.5, "c": 0.3, "d": 0.3, "gone": 9.0}
    assert top_features(imp, 3, ["a", "b", "c", "d"]) == ["b", "c", "d"]


def test_parse_snapshot_reads_per_column_and_overall_verdicts() -> None:
    data = {
        "metrics": [
            {"id": "m0", "config": {"type": "evidently:metric_v2:DriftedColumnsCount"}, "value": {"share": 0.5}},
            {"id": "m1", "config": {"type": "evidently:metric_v2:ValueDrift", "column": "x", "method": "K-S p_value",
                                    "threshold": 0.05}, "value": 0.001},
            {"id": "m2", "config": {"type": "evidently:metric_v2:ValueDrift", "column": "y", "method": "K-S p_value",
                                    "threshold": 0.05}, "value": 0.9},
        ],
        "tests": [
            {"name": "share", "status": "SUCCESS",
             "metric_config": {"params": {"type": "evidently:metric_v2:DriftedColumnsCount"}}},
            {"name": "x", "status": "FAIL",
             "metric_config": {"params": {"type": "evidently:metric_v2:ValueDrift", "column": "x"}}},
            {"name": "y", "status": "SUCCESS",
             "metric_config": {"params": {"type": "evidently:metric_v2:ValueDrift", "column": "y"}}},
        ],
    }  # fmt: skip
    res = parse_snapshot(data, ["x", "y"])
    assert res.columns["drifted"].to_dict() == {"x": True, "y": False}
    assert not res.passed and not res.dataset_drift and res.drifted_share == 0.5


@pytest.mark.slow
def test_evidently_flags_the_shifted_column_on_a_tiny_frame(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 1000
    ref = pd.DataFrame({
        "shifted": rng.normal(size=n), "same": rng.normal(size=n), "other": rng.normal(size=n),
        "cat": rng.choice(["a", "b", "c"], n), "score": rng.beta(1, 9, n),
    })  # fmt: skip
    cur = ref.copy()
    cur["shifted"] = cur["shifted"] + 1.0
    res = run_evidently(ref, cur, list(ref.columns), replace(load_monitoring().evidently, max_rows=800),
                        tmp_path / "ev.html", tmp_path / "ev.json")  # fmt: skip
    assert res.columns["drifted"].to_dict() == {"shifted": True, "same": False, "other": False, "cat": False,
                                                "score": False}  # fmt: skip
    assert not res.passed and res.rows_reference == 800 and res.drifted_share == pytest.approx(0.2)
    assert res.to_dict()["columns"]["shifted"]["drifted"] is True
    assert (tmp_path / "ev.html").stat().st_size > 10_000
    assert json.loads((tmp_path / "ev.json").read_text())["tests"]
