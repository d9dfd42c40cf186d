"""The action-required policy and the --fail-on-drift exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.monitoring import load_monitoring
from credit_scoring.monitoring.__main__ import main as monitor_main
from credit_scoring.monitoring.policy import EXIT_ACTION_REQUIRED, evaluate_policy, exit_code

POLICY = load_monitoring().policy  # conf/monitoring/default.yaml


def _table(drifted: list[bool], score_drifted: bool | None) -> pd.DataFrame:
    rows = [
        {"feature": f"f{i}", "role": "feature", "psi": 0.3 if d else 0.0, "band": "significant" if d else "stable",
         "drifted": d}
        for i, d in enumerate(drifted)
    ]  # fmt: skip
    if score_drifted is not None:
        rows.append({"feature": "score", "role": "score", "psi": 0.2 if score_drifted else 0.01,
                     "band": "moderate" if score_drifted else "stable", "drifted": score_drifted})  # fmt: skip
    return pd.DataFrame(rows).set_index("feature")


def test_score_drift_requires_action() -> None:
    v = evaluate_policy(_table([False] * 10, score_drifted=True), POLICY)
    assert v.action_required and v.status == "action required"
    assert v.score_drifted is True and "score drifted" in v.reasons[0]
    off = evaluate_policy(
        _table([False] * 10, score_drifted=True), replace(POLICY, score_drift_is_action=False)
    )
    assert not off.action_required


def test_share_of_drifted_features_above_the_bound_requires_action() -> None:
    cfg = replace(POLICY, max_drifted_share=0.2)
    at_bound = evaluate_policy(_table([True] * 2 + [False] * 8, score_drifted=False), cfg)
    assert not at_bound.action_required and at_bound.drifted_share == pytest.approx(0.2)
    above = evaluate_policy(_table([True] * 3 + [False] * 7, score_drifted=False), cfg)
    assert above.action_required and above.drifted_features == ["f0", "f1", "f2"]
    assert "3 of 10 features drifted" in above.reasons[0]


def test_no_score_and_no_drift_is_no_action() -> None:
    v = evaluate_policy(_table([False] * 5, score_drifted=None), POLICY)
    assert not v.action_required and v.score_drifted is None and v.reasons == []


def test_exit_code() -> None:
    action = evaluate_policy(_table([False], score_drifted=True), POLICY)
    calm = evaluate_policy(_table([False], score_drifted=False), POLICY)
    assert exit_code(action, fail_on_drift=True) == EXIT_ACTION_REQUIRED != 0
    assert exit_code(action, fail_on_drift=False) == 0
    assert exit_code(calm, fail_on_drift=True) == 0


@pytest.fixture
def batches(tmp_path):
    rng = np.random.default_rng(0)
    n = 2000
    ref = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "score": rng.beta(1, 9, n)})
    drifted = pd.DataFrame({"a": rng.normal(size=n // 2) + 0.5, "b": rng.normal(size=n // 2),
                            "score": rng.beta(2, 9, n // 2)})  # fmt: skip
    paths = {"ref": tmp_path / "ref.parquet", "cur": tmp_path / "cur.parquet", "same": tmp_path / "same.csv"}
    ref.to_parquet(paths["ref"])
    drifted.to_parquet(paths["cur"])
    ref.to_csv(paths["same"], index=False)
    return paths


def test_fail_on_drift_exit_code_in_process(batches, tmp_path) -> None:
    args = [str(batches["ref"]), str(batches["cur"]), "--score-column", "score", "--out", str(tmp_path / "d")]
    assert monitor_main([*args, "--fail-on-drift"]) == EXIT_ACTION_REQUIRED
    assert monitor_main(args) == 0
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["policy"]["action_required"] is True
    assert summary["features"]["a"]["drifted"] is True and summary["features"]["b"]["drifted"] is False
    same = [
        str(batches["ref"]),
        str(batches["same"]),
        "--score-column",
        "score",
        "--out",
        str(tmp_path / "s"),
    ]
    assert monitor_main([*same, "--fail-on-drift"]) == 0
    assert (tmp_path / "index.html").is_file()
    assert (
        monitor_main([str(tmp_path / "nope.parquet"), str(batches["cur"]), "--out", str(tmp_path / "x")]) == 1
    )


def test_fail_on_drift_exit_code_of_the_process(batches, tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "credit_scoring.monitoring", str(batches["ref"]), str(batches["cur"]),
         "--score-column", "score", "--out", str(tmp_path / "d"), "--fail-on-drift"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == EXIT_ACTION_REQUIRED, done.stderr
    assert "action required" in done.stdout
