"""The MLflow run of a monitoring report: one run per report, tagged with the champion it watched.

The run carries:
  * tags: monitoring.status ("action required" / "no action"), monitoring.generated_at, champion_run_id,
    champion_model_uri and champion_version when known; with nest_under_champion=True also
    mlflow.parentRunId, so that the MLflow UI shows the monitoring run under the champion's training run
    (same experiment only);
  * metrics: the headline figures (`credit_scoring.monitoring.summary.monitoring_metrics`) and, unless
    feature_psi=False, the PSI of every feature as psi/<feature> (logged in batches);
  * artifacts: summary.json (log_dict, from the summary in memory) and the given report files.
`log_report` points MLflow at the store (`setup_tracking`, the experiment `monitoring.tracking.experiment`)
first; `log_monitoring_run` logs into whatever store MLflow points at. MLflow is imported lazily.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from credit_scoring.config import Config
from credit_scoring.monitoring.summary import monitoring_metrics
from credit_scoring.reporting.html import now_utc
from credit_scoring.tracking.champion import ChampionRef

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /:]")
PARENT_TAG = "mlflow.parentRunId"
BATCH = 900  # MLflow accepts up to 1000 metrics per request


def metric_name(name: str) -> str:
    """A feature name as a valid MLflow metric key (characters outside [A-Za-z0-9_-. /:] become '_')."""
    return _UNSAFE.sub("_", str(name))


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
        "monitoring.generated_at": summary["generated_at"] or now_utc(),  # the pipeline's report states none
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


def log_report(
    cfg: Config, champion: ChampionRef, summary: Mapping[str, Any], files: Sequence[Path], name: str
) -> str | None:
    """The report's run `monitor-<name>` in the experiment `monitoring.tracking.experiment` of the registry's
    store, tagged with `champion`; None when monitoring.tracking is disabled."""
    if not cfg.monitoring.tracking.enabled:
        return None
    from credit_scoring.tracking.store import setup_tracking

    experiment_id = setup_tracking(
        dataclasses.replace(cfg.registry, experiment=cfg.monitoring.tracking.experiment)
    )
    return log_monitoring_run(
        summary,
        files,
        experiment_id=experiment_id,
        run_name=f"monitor-{name}",
        champion_run_id=champion.run_id,
        champion_model_uri=champion.alias_uri,
        champion_version=champion.version,
        feature_psi=cfg.monitoring.tracking.feature_psi,
    )
