"""Copy a tracking store to another one (a user's local SQLite store to the team's server) with MLflow's client
API: experiments, runs (params, every metric step, tags, artifacts, status and times, parent links) and the
registry (registered models, versions with their tags, aliases).

Each copied run is tagged with the id it had (`migrated_from`), so running the copy again skips what is
already there. A model version's files are copied as artifacts of its copied run (under `registered/<name>/
<version>`) and the new version points at them, so the target serves them through its own artifact store.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import mlflow
from mlflow.entities import Metric, Param, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from credit_scoring.tracking.registry_lock import is_lock

MIGRATED_FROM = "migrated_from"  # tag of a copied run: its id in the source store
PARENT_TAG = "mlflow.parentRunId"
REGISTERED_PREFIX = "registered"
ORPHANS_EXPERIMENT = "migrated_models"  # holds the files of versions registered without a run
BATCH = 900  # entities per log_batch call (MLflow's limit is 1000)


@dataclass
class MigrationReport:
    experiments: int = 0
    runs: int = 0
    skipped_runs: int = 0
    models: int = 0
    versions: int = 0
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)  # model -> alias -> new version


def _experiment_id(dest: MlflowClient, name: str, tags: dict[str, str]) -> str:
    existing = dest.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    return dest.create_experiment(name, tags=tags or None)


def _copied_runs(dest: MlflowClient, experiment_id: str) -> dict[str, str]:
    """{source run id: target run id} of the runs already copied into the experiment."""
    runs = dest.search_runs([experiment_id], f"tags.{MIGRATED_FROM} != ''", ViewType.ALL, max_results=50_000)
    return {r.data.tags[MIGRATED_FROM]: r.info.run_id for r in runs}


def _copy_run(
    source: MlflowClient, dest: MlflowClient, run_id: str, experiment_id: str, parent: str | None
) -> str:
    run = source.get_run(run_id)
    tags = {k: v for k, v in run.data.tags.items() if k != PARENT_TAG}
    tags[MIGRATED_FROM] = run_id
    if parent is not None:
        tags[PARENT_TAG] = parent
    new = dest.create_run(
        experiment_id, start_time=run.info.start_time, tags=tags, run_name=run.info.run_name
    )
    new_id = new.info.run_id
    metrics = [
        Metric(m.key, m.value, m.timestamp, m.step)
        for key in run.data.metrics
        for m in source.get_metric_history(run_id, key)
    ]
    params = [Param(k, v) for k, v in run.data.params.items()]
    for i in range(0, max(len(metrics), len(params), 1), BATCH):
        dest.log_batch(new_id, metrics=metrics[i : i + BATCH], params=params[i : i + BATCH])
    with tempfile.TemporaryDirectory(prefix="migrate-") as tmp:
        if source.list_artifacts(run_id):
            local = source.download_artifacts(run_id, "", tmp)
            dest.log_artifacts(new_id, local)
    dest.set_terminated(new_id, status=run.info.status, end_time=run.info.end_time)
    return new_id


def _copy_registry(
    source: MlflowClient, dest: MlflowClient, runs: dict[str, str], report: MigrationReport
) -> None:
    for model in source.search_registered_models(max_results=1000):
        if is_lock(model):  # a register or promote was moving aliases in the source: not a model
            continue
        try:
            dest.create_registered_model(model.name, tags=model.tags or None, description=model.description)
        except MlflowException as err:
            if err.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        report.models += 1
        known = {v.tags.get(MIGRATED_FROM) for v in dest.search_model_versions(f"name = '{model.name}'")}
        mapping: dict[str, str] = {}
        versions = sorted(
            source.search_model_versions(f"name = '{model.name}'"), key=lambda v: int(v.version)
        )
        for version in versions:
            origin = f"{model.name}/{version.version}"
            if origin in known:
                continue
            run_id = runs.get(version.run_id or "")
            if run_id is None:  # a version without a run: its files go to a run of their own
                holder = _experiment_id(dest, ORPHANS_EXPERIMENT, {})
                run_id = dest.create_run(holder, tags={MIGRATED_FROM: origin}).info.run_id
            artifact_path = f"{REGISTERED_PREFIX}/{model.name}/{version.version}"
            with tempfile.TemporaryDirectory(prefix="migrate-") as tmp:
                files = source.get_model_version_download_uri(model.name, version.version)
                local = mlflow.artifacts.download_artifacts(
                    files, dst_path=tmp, tracking_uri=source.tracking_uri
                )
                dest.log_artifacts(run_id, local, artifact_path)
            source_uri = f"{dest.get_run(run_id).info.artifact_uri}/{artifact_path}"
            new = dest.create_model_version(
                model.name,
                source_uri,
                run_id=run_id,
                tags={**version.tags, MIGRATED_FROM: origin},
                description=version.description,
            )
            mapping[str(version.version)] = str(new.version)
            report.versions += 1
        aliases = source.get_registered_model(model.name).aliases or {}  # a search may leave them out
        for alias, version in aliases.items():
            if str(version) in mapping:
                dest.set_registered_model_alias(model.name, alias, mapping[str(version)])
                report.aliases.setdefault(model.name, {})[alias] = mapping[str(version)]


def migrate(source_uri: str, target_uri: str, log: Callable[[str], None] = print) -> MigrationReport:
    """Copy every experiment, run and registered model of `source_uri` to `target_uri` (what is already
    there, by the `migrated_from` tag, is skipped)."""
    source = MlflowClient(source_uri, registry_uri=source_uri)
    dest = MlflowClient(target_uri, registry_uri=target_uri)
    report = MigrationReport()
    runs: dict[str, str] = {}
    for experiment in source.search_experiments(ViewType.ACTIVE_ONLY):
        target_id = _experiment_id(dest, experiment.name, experiment.tags)
        report.experiments += 1
        done = _copied_runs(dest, target_id)
        found = source.search_runs([experiment.experiment_id], "", ViewType.ALL, max_results=50_000)
        # parents first, so that a nested run points at its parent's new id
        for run in sorted(found, key=lambda r: (PARENT_TAG in r.data.tags, r.info.start_time or 0)):
            rid = run.info.run_id
            if rid in done:
                runs[rid] = done[rid]
                report.skipped_runs += 1
                continue
            parent = runs.get(run.data.tags.get(PARENT_TAG, ""))
            runs[rid] = _copy_run(source, dest, rid, target_id, parent)
            report.runs += 1
        log(f"migrate: experiment {experiment.name}: {len(found)} runs")
    _copy_registry(source, dest, runs, report)
    log(
        f"migrate: {report.experiments} experiments, {report.runs} runs copied ({report.skipped_runs} already "
        f"there), {report.models} models, {report.versions} versions, aliases {report.aliases}"
    )
    return report
