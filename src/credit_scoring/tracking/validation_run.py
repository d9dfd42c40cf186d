"""The PD validation report logged to the champion's own MLflow run: its files as artifacts under
`validation/` and its headline figures as metrics `validation.*` (the run the registered version came from)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from credit_scoring.tracking.champion import ChampionRef

ARTIFACT_DIR = "validation"


def log_validation(champion: ChampionRef, files: Sequence[Path], metrics: Mapping[str, float]) -> str:
    """Log `files` and `metrics` to `champion.run_id` in the champion's store; returns the run id."""
    import time

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(champion.tracking_uri, champion.tracking_uri)
    stamp = int(time.time() * 1000)  # MLflow's own metric timestamp, not part of any report
    client.log_batch(champion.run_id, metrics=[Metric(k, float(v), stamp, 0) for k, v in metrics.items()])
    for f in files:
        client.log_artifact(champion.run_id, str(f), artifact_path=ARTIFACT_DIR)
    return champion.run_id
