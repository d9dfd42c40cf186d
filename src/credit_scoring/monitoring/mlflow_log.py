"""Log a monitoring report to MLflow: one run per report, tagged with the champion it watched.

The caller points MLflow at the store first (credit_scoring.tracking.store.setup_tracking, as the training
stage does). The run carries:
  * tags: monitoring.status ("action required" / "no action"), champion_run_id, champion_model_uri and
    champion_version when known; with nest_under_champion=True also mlflow.parentRunId, so that the
    MLflow UI shows the monitoring run under the champion's training run (same experiment only);
  * metrics: the headline figures (monitoring_metrics) and, unless feature_psi=False, the PSI of every
    feature as psi/<feature> (at most a few thousand values, logged in batches);
  * artifacts: summary.json (log_dict) and the given report files.
MLflow is imported lazily (it takes seconds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /:]")
PARENT_TAG = "mlflow.parentRunId"
BATCH = 900  # MLflow accepts up to 1000 metrics per request


def metric_name(name: str) -> str:
    """A feature name as a valid MLflow metric key (characters outside [A-Za-z0-9_-. /:] become '_')."""
    return _UNSAFE.sub("_", str(name))


def monitoring_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """Headline numbers of a summary.json document (see report.build_summary)."""
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


def log_monitoring_run(
    summary: Mapping[str, Any],
    files: Sequence[Path | str] = (),
    *,
    experiment_id: str | None = None,
    run_name: str = "monitor",
    champion_run_id: str | None = None,
    champion_model_uri: str | None = None,
    champion_version: str | None = None,
    nest_under_champion: bool = False,
    feature_psi: bool = True,
) -> str:
    """Log the report as a new MLflow run; returns its run id."""
    import mlflow

    tags = {
        "monitoring.status": str(summary["policy"]["status"]),
        "monitoring.generated_at": summary["generated_at"],
    }
    for key, value in (
        ("champion_run_id", champion_run_id),
        ("champion_model_uri", champion_model_uri),
        ("champion_version", champion_version),
    ):
        if value is not None:
            tags[key] = str(value)
    if nest_under_champion and champion_run_id:
        tags[PARENT_TAG] = champion_run_id
    metrics = monitoring_metrics(summary)
    if feature_psi:
        for name, entry in summary["features"].items():
            if entry.get("psi") is not None:
                metrics[f"psi/{metric_name(name)}"] = float(entry["psi"])
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
        items = list(metrics.items())
        for start in range(0, len(items), BATCH):
            mlflow.log_metrics(dict(items[start : start + BATCH]))
        mlflow.log_dict(dict(summary), "monitoring/summary.json")
        for f in files:
            if Path(f).is_file():
                mlflow.log_artifact(str(f), artifact_path="monitoring")
        return run.info.run_id
