"""The summary of a drift report (summary.json) and its headline numbers.

``build_summary`` = ``{"schema": 1, "generated_at", "metadata", "policy": {status, action_required,
reasons, ...}, "score": {psi, band, drifted, ...} | null, "features": {NAME: {"psi", "band", "drifted",
"kind", "p_value", "p_adjusted", "chi2", "dof", "missing_reference", "missing_current", "evidently"?}},
"counts": {...}, "raw_columns": {...}?, "evidently": {...}?, "performance": {...}?, "config": {...}}``,
JSON-safe (NaN as null). ``monitoring_metrics``: the figures `dvc metrics` and MLflow show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.monitoring.drift import trace_to_raw
from credit_scoring.monitoring.evidently_report import EvidentlyResult
from credit_scoring.monitoring.policy import PolicyVerdict
from credit_scoring.monitoring.psi import FEATURE, SCORE
from credit_scoring.reporting.html import now_utc

SCHEMA_VERSION = 1
SUMMARY_FILE = "summary.json"


def clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars/arrays -> Python, paths -> str, tuples/sets -> lists."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


_ROW_KEYS = (
    "kind", "psi", "band", "drifted", "chi2", "dof", "p_value", "p_adjusted",
    "n_reference", "n_current", "missing_reference", "missing_current",
)  # fmt: skip


def _row(r: pd.Series) -> dict[str, Any]:
    d = {k: r[k] for k in _ROW_KEYS}
    d["drifted"] = bool(d["drifted"])
    return d


def build_summary(
    table: pd.DataFrame,
    verdict: PolicyVerdict,
    cfg: MonitoringConfig,
    evidently: EvidentlyResult | None = None,
    metadata: Mapping[str, Any] | None = None,
    raw_columns: Sequence[str] | None = None,
    performance: Mapping[str, Any] | None = None,
    generated_at: str | None = None,
    stamped: bool = True,
) -> dict[str, Any]:
    """The summary.json document (see the module docstring), JSON-safe: what the report's files and the
    MLflow run are made of, kept in memory by the caller (never read back from the file)."""
    ev_cols = evidently.columns if evidently is not None else pd.DataFrame()
    features: dict[str, Any] = {}
    score: dict[str, Any] | None = None
    for name, r in table.iterrows():
        entry = _row(r)
        if name in ev_cols.index:
            e = ev_cols.loc[name]
            entry["evidently"] = {"method": e["method"], "score": e["score"], "drifted": bool(e["drifted"])}
        if r["role"] == SCORE:
            score = {"name": str(name), **entry}
        else:
            features[str(name)] = entry
    feats = table[table["role"] == FEATURE]
    counts = {
        "features": len(feats),
        "drifted": int(feats["drifted"].sum()),
        "bands": {b: int((feats["band"] == b).sum()) for b in ("stable", "moderate", "significant", "n/a")},
    }
    doc: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        # the pipeline's own report (stamped=False) states no wall-clock time: the same inputs give the same
        # bytes; when it ran is in its MLflow run and in the reports index
        "generated_at": (generated_at or now_utc()) if stamped else None,
        "metadata": dict(metadata or {}),
        "policy": verdict.to_dict(),
        "score": score,
        "counts": counts,
        "features": features,
    }
    if raw_columns is not None:
        traced = trace_to_raw(feats, raw_columns)
        doc["raw_columns"] = {
            str(c): {"psi": r["psi"], "drifted": bool(r["drifted"]), "features": list(r["features"])}
            for c, r in traced.iterrows()
        }
    if evidently is not None:
        doc["evidently"] = evidently.to_dict()
    if performance is not None:
        doc["performance"] = dict(performance)
    doc["config"] = asdict(cfg)
    return clean(doc)


def monitoring_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """Headline numbers of a summary document (`build_summary`): the stage's DVC metrics and the MLflow run's."""
    pol, counts = summary["policy"], summary["counts"]
    out: dict[str, float] = {
        "action_required": float(bool(pol["action_required"])),
        "features": float(counts["features"]),
        "drifted_features": float(counts["drifted"]),
        "drifted_share": float(pol["drifted_share"]),
        **{f"band_{k.replace('/', '')}": float(v) for k, v in counts["bands"].items()},
    }
    score = summary.get("score")
    if score:
        if score.get("psi") is not None:
            out["score_psi"] = float(score["psi"])
        out["score_drifted"] = float(bool(score["drifted"]))
    ev = summary.get("evidently")
    if ev:
        out["evidently_passed"] = float(bool(ev["passed"]))
        if ev.get("drifted_share") is not None:
            out["evidently_drifted_share"] = float(ev["drifted_share"])
    perf = summary.get("performance")
    if perf:
        batch = perf.get("batch", {})
        for key in ("roc_auc", "brier", "ece", "default_rate"):
            if batch.get(key) is not None:
                out[f"batch_{key}"] = float(batch[key])
        if batch.get("cost"):
            out["batch_cost_per_client"] = float(batch["cost"]["cost_per_client"])
    return out
