"""The link from the train stage's outputs to its MLflow run, without an MLflow id in the outputs.

run.json holds a run key: a digest of what the stage computed (metrics, trials, model kind, threshold). The
train run carries it as a tag, with its logged model's URI, and `register` finds the run by it. So the same
inputs give the same bytes on every machine (dvc.lock and the DVC cache are shared across a team), while the
registry still knows which run made which version. A forced rerun that computes exactly the same outputs makes
a run with the same key: the newest finished one is the run of record (register looks its version up by that
run's id, so it is registered as a version of its own).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from credit_scoring.errors import InputDataError

RUN_KEY_TAG = "run_key"  # on the train run and on every version registered from it
MODEL_URI_TAG = "model_uri"  # the train run's logged scoring model
KEY_CHARS = 16


@dataclass(frozen=True)
class TrainRun:
    """The MLflow run behind a run key, and the scoring model it logged."""

    run_id: str
    model_uri: str


def run_key(content: Any) -> str:
    """A digest of JSON-able content (sorted keys, exact float reprs): equal content, equal key."""
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_CHARS]


def find_train_run(client: Any, experiment: str, key: str) -> TrainRun:
    """The newest finished run of `experiment` tagged with `key`; an error naming the key when there is none."""
    found = client.get_experiment_by_name(experiment)
    runs = (
        []
        if found is None
        else client.search_runs(
            [found.experiment_id],
            filter_string=f"tags.{RUN_KEY_TAG} = '{key}' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
    )
    if not runs or MODEL_URI_TAG not in runs[0].data.tags:
        raise InputDataError(
            f"run.json: no finished MLflow run with run key {key!r} in experiment {experiment!r} of this "
            "tracking store: the train stage ran against another store (MLFLOW_TRACKING_URI) or its run was "
            "deleted; rerun it (dvc repro -f train)"
        )
    return TrainRun(runs[0].info.run_id, runs[0].data.tags[MODEL_URI_TAG])
