"""The Evidently drift report (HTML + JSON) on a capped set of columns and rows, with its pass/fail verdict.

Evidently 0.7 (``from evidently import Report``; ``DataDriftPreset`` with ``include_tests=True``) runs one
statistical test per column (K-S / chi-square under 1,000 rows, Wasserstein / Jensen-Shannon above, its
own defaults) plus a dataset test "share of drifted columns < drift_share". It is slow (~25 s for
50k rows x 50 columns), so it never sees the whole feature table: only the champion's `top_features` most
important features and the predicted probability, on at most `max_rows` seeded rows of each side. The PSI
table (psi.py) covers every feature. `check_top_features` picks those columns and writes the two files.

Evidently is imported lazily (its import alone takes tens of seconds) with telemetry off (DO_NOT_TRACK).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config.monitoring import EvidentlyConfig, MonitoringConfig
from credit_scoring.features.encoding import is_categorical
from credit_scoring.io.atomic import atomic_path, write_text
from credit_scoring.reporting.html import stable_ids

HTML_FILE = "evidently.html"  # in the drift report's folder
JSON_FILE = "evidently.json"
VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
DRIFTED_COUNT = "evidently:metric_v2:DriftedColumnsCount"


@dataclass
class EvidentlyResult:
    """Evidently's verdict: per column (method, threshold, drift score, drifted) and overall."""

    columns: pd.DataFrame  # index column; method, threshold, score, drifted
    drifted_share: float
    dataset_drift: bool  # the "share of drifted columns" test failed
    passed: bool  # every Evidently test passed
    rows_reference: int
    rows_current: int
    seconds: float
    html_path: Path | None = None
    json_path: Path | None = None
    tests: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "dataset_drift": self.dataset_drift,
            "drifted_share": self.drifted_share,
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "html": str(self.html_path) if self.html_path else None,
            "json": str(self.json_path) if self.json_path else None,
            "columns": {
                str(c): {
                    "method": r["method"],
                    "threshold": _num(r["threshold"]),
                    "score": _num(r["score"]),
                    "drifted": bool(r["drifted"]),
                }
                for c, r in self.columns.iterrows()
            },
        }


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


def top_features(importance: Mapping[str, float] | pd.Series, n: int, available: Sequence[str]) -> list[str]:
    """The `n` most important features (by absolute importance, ties by name) present in `available`."""
    s = pd.Series(importance, dtype="float64").abs()
    s = s[s.index.isin(list(available))]
    ranked = sorted(s.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [str(k) for k, _ in ranked[:n]]


def _sample(df: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    return df.sample(n=max_rows, random_state=seed) if len(df) > max_rows else df


def run_evidently(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str],
    cfg: EvidentlyConfig,
    html_path: Path | None = None,
    json_path: Path | None = None,
) -> EvidentlyResult:
    """Evidently's DataDriftPreset (with its tests) on `columns`, rows capped at cfg.max_rows per side.

    Writes the HTML and JSON snapshots atomically when paths are given. Column types are declared, not
    inferred: text-like columns are categorical, the others numerical.
    """
    columns = list(dict.fromkeys(columns))
    if not columns:
        raise ValueError("run_evidently needs at least one column")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    start = time.perf_counter()
    ref = _sample(reference[columns], cfg.max_rows, cfg.seed)
    cur = _sample(current[columns], cfg.max_rows, cfg.seed)
    cat = [c for c in columns if is_categorical(ref[c]) or is_categorical(cur[c])]
    num = [c for c in columns if c not in set(cat)]
    # Evidently wants plain dtypes: float64 numbers, text categories (missing stays missing).
    ref = _plain(ref, num, cat)
    cur = _plain(cur, num, cat)
    definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
    report = Report([DataDriftPreset(columns=columns, drift_share=cfg.drift_share)], include_tests=True)
    snapshot = report.run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
    data = snapshot.dict()
    if html_path is not None:
        with atomic_path(Path(html_path)) as tmp:
            snapshot.save_html(str(tmp))
            tmp.write_text(stable_ids(tmp.read_text(encoding="utf-8")), encoding="utf-8")
    if json_path is not None:
        write_text(json.dumps(data, indent=1, default=_json_default) + "\n", Path(json_path))
    result = parse_snapshot(data, columns)
    result.rows_reference, result.rows_current = len(ref), len(cur)
    result.seconds = time.perf_counter() - start
    result.html_path = Path(html_path) if html_path else None
    result.json_path = Path(json_path) if json_path else None
    return result


def check_top_features(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    score_reference: np.ndarray,
    score_current: np.ndarray,
    importance: pd.Series | None,
    cfg: MonitoringConfig,
    out_dir: Path,
) -> EvidentlyResult | None:
    """Evidently on the `evidently.top_features` most important columns of `current` (by `importance`; without
    it, the columns in their order) and the score; writes HTML_FILE and JSON_FILE into `out_dir`, named in
    the result relative to it (the report's folder stays portable). None when Evidently is disabled."""
    if not cfg.evidently.enabled:
        return None
    available = list(current.columns)
    if importance is None:  # no importance recorded: the features in the champion's order
        importance = pd.Series(np.arange(len(available), 0, -1), index=available, dtype="float64")
    columns = top_features(importance, cfg.evidently.top_features, available)
    col = cfg.report.score_column
    ref = reference[columns].assign(**{col: score_reference})
    cur = current[columns].reset_index(drop=True).assign(**{col: score_current})
    out_dir = Path(out_dir)
    result = run_evidently(ref, cur, [*columns, col], cfg.evidently, out_dir / HTML_FILE, out_dir / JSON_FILE)
    result.html_path, result.json_path = Path(HTML_FILE), Path(JSON_FILE)
    return result


def _plain(df: pd.DataFrame, num: list[str], cat: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        if c in num:
            out[c] = (
                pd.to_numeric(df[c], errors="coerce").astype("float64").replace([np.inf, -np.inf], np.nan)
            )
        else:
            s = df[c].astype("object")
            out[c] = s.where(s.isna(), s.astype(str))
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def parse_snapshot(data: Mapping[str, Any], columns: Sequence[str]) -> EvidentlyResult:
    """Per-column and overall verdicts from ``snapshot.dict()`` (metrics + tests of DataDriftPreset)."""
    metrics = {m["id"]: m for m in data.get("metrics", [])}
    rows: dict[str, dict[str, Any]] = {}
    drifted_share = float("nan")
    for m in metrics.values():
        conf = m.get("config", {})
        if conf.get("type") == VALUE_DRIFT:
            rows[conf["column"]] = {
                "method": conf.get("method"),
                "threshold": conf.get("threshold"),
                "score": m.get("value"),
                "drifted": False,
            }
        elif conf.get("type") == DRIFTED_COUNT:
            drifted_share = float(m.get("value", {}).get("share", float("nan")))
    tests = []
    dataset_drift = False
    for t in data.get("tests", []):
        params = t.get("metric_config", {}).get("params", {})
        failed = t.get("status") in ("FAIL", "ERROR")
        tests.append({"name": t.get("name"), "status": t.get("status"), "description": t.get("description")})
        if params.get("type") == VALUE_DRIFT and params.get("column") in rows:
            rows[params["column"]]["drifted"] = failed
        elif params.get("type") == DRIFTED_COUNT:
            dataset_drift = dataset_drift or failed
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["method", "threshold", "score", "drifted"])
    table = table.reindex([c for c in columns if c in rows])
    table.index.name = "column"
    passed = all(t["status"] == "SUCCESS" for t in tests) and bool(tests)
    return EvidentlyResult(
        columns=table,
        drifted_share=drifted_share,
        dataset_drift=dataset_drift,
        passed=passed,
        rows_reference=0,
        rows_current=0,
        seconds=0.0,
        tests=tests,
    )
