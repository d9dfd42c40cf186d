"""The `monitor` stage and `credit-scoring monitor`: the champion's populations compared, reported, logged.

The stage only wires: the champion from the registry (`tracking.champion`), its populations read through the
catalog, the monitoring library (`credit_scoring.monitoring`) on those frames, the files written atomically,
the MLflow run (`tracking.monitoring_run`). The summary is built once, in memory: the files, the model
card, the DVC metrics and the MLflow run are all written from it.

Reference population: the champion's training data, i.e. the features stage's training split (PSI of every
feature). The score's reference is the champion's probability on the held-out test split (same population,
unseen by the model: in-sample scores of the training rows are sharper than any new population's, so they
would always look drifted); the Evidently report compares the test split's top features and score.

Production population (`current`):
- default: the features stage's production table (application_test), scored with the champion; a dataset
  without a production table (`dataset.production_table: null`): the held-out test split;
- a file (CSV or Parquet of raw application rows): its side features are read from the merge stage's output
  for the ids it has (rows without side-table history get none), then preprocessed by the champion itself;
- a folder holding the production table and the side tables (a month of `credit-scoring batches`): ingested
  and aggregated on its own in a temporary folder (the ingest and merge stages, with the training data's
  categorical levels), then preprocessed by the champion.

Outputs of the stage: `monitoring.report.drift_dir` (summary.json, report.html, evidently.html/json), the
model card in `monitoring.report.reports_dir`, `paths.monitor/metrics.json` (headline figures for
`dvc metrics`), the index page, and an MLflow run tagged with the champion's run id and version. An ad-hoc
run (`--current`, `--series`) writes a dated folder under `monitoring.report.runs_dir` instead.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.errors import InputDataError
from credit_scoring.features.rows import applicant_rows, side_features_frame
from credit_scoring.io.atomic import atomic_dir, write_json
from credit_scoring.io.catalog import Catalog
from credit_scoring.monitoring.drift import bin_table, drift_with_score
from credit_scoring.monitoring.drift_report import DRIFT_HTML, write_summary_report
from credit_scoring.monitoring.evidently_report import HTML_FILE, JSON_FILE, check_top_features
from credit_scoring.monitoring.fairness import fairness_report
from credit_scoring.monitoring.index import run_folder_name, slug, write_index
from credit_scoring.monitoring.model_card import (
    THRESHOLD_NOTE,
    card_metrics,
    monitoring_links,
    write_model_card,
)
from credit_scoring.monitoring.performance import compare_performance, labelled_batch, performance_metrics
from credit_scoring.monitoring.policy import PolicyVerdict, evaluate_policy
from credit_scoring.monitoring.populations import (
    Population,
    application_notes,
    batch_files,
    batch_folders,
    batch_table,
    check_features,
    default_labels,
    describe,
    features_population,
    needs_side_features,
    read_labels,
    read_rows,
    rows_population,
    side_features_note,
    without_table,
)
from credit_scoring.monitoring.series import (
    SERIES_CSV,
    SERIES_HTML,
    SERIES_SUMMARY,
    add_drift,
    batch_entry,
    psi_series_with_score,
    write_series_report,
)
from credit_scoring.monitoring.summary import SUMMARY_FILE, build_summary, monitoring_metrics
from credit_scoring.monitoring.validation import labelled_validation
from credit_scoring.tracking.champion import ChampionRef, load_pipeline, require_champion
from credit_scoring.tracking.monitoring_run import log_report

if TYPE_CHECKING:
    from credit_scoring.features.aggregate import Vocabulary

Log = Callable[[str], None]
NO_PRODUCTION = "test split (no production table)"  # the current population of a dataset without one
__all__ = ["MonitorResult", "main", "monitor", "monitor_series", "read_rows", "run"]


# ---- the champion ------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Champion:
    """The registered version under the alias (`tracking.champion`) and its scoring pipeline."""

    ref: ChampionRef
    pipeline: Any  # credit_scoring.scoring.pipeline.ScoringPipeline

    @property
    def features(self) -> list[str]:
        return list(self.pipeline.feature_names)

    @property
    def threshold(self) -> float:
        return float(self.pipeline.threshold)


def load_champion(cfg: Config) -> Champion:
    """The champion of the configured store (`require_champion`: a clear error when there is none), loaded
    at exactly the version that holds the alias."""
    from mlflow.tracking import MlflowClient

    from credit_scoring.tracking.store import tracking_uri, use_tracking_uri

    uri = tracking_uri(cfg.registry)
    use_tracking_uri(uri)
    ref = require_champion(MlflowClient(uri, uri), cfg.registry, uri)
    _, pipeline = load_pipeline(ref.version_uri)
    return Champion(ref, pipeline)


# ---- populations -------------------------------------------------------------------------------------------
def part_population(cfg: Config, champion: Champion, part: str, name: str) -> Population:
    """A table of the features stage (train, test, production), scored by the champion."""
    ds, entry = cfg.dataset, Catalog(cfg.paths).features_part(part)
    present = entry.columns()
    check_features(present, champion.features, entry.path)
    wanted = [ds.id, *champion.features, *([ds.target] if ds.target in present else [])]
    frame = entry.read(columns=list(dict.fromkeys(wanted)))
    return features_population(frame, champion.pipeline, ds, name, str(entry.path))


def file_population(cfg: Config, champion: Champion, path: Path) -> Population:
    """Raw application rows from a file; side features from the merge stage's output for the known ids."""
    ds, pre = cfg.dataset, champion.pipeline.preprocessor
    app = read_rows(path)
    notes = application_notes(app, pre, ds.id, path)
    rows = app.reset_index(drop=True)
    if needs_side_features(app, pre):
        ids = app[ds.id].to_numpy()
        side = side_features_frame(Catalog(cfg.paths), cfg.features, ds.id, ids)
        notes.append(side_features_note(ids, side, ds.id, cfg.paths.merge))
        rows = applicant_rows(app, side, ds)
    return rows_population(rows, champion.pipeline, ds.id, path.stem, str(path), notes)


def folder_population(
    cfg: Config,
    champion: Champion,
    folder: Path,
    log: Log = lambda _m: None,
    vocabulary: Vocabulary | None = None,
) -> Population:
    """A batch folder ingested and merged on its own (keeping the categorical levels of the training data's
    merge, `vocabulary` when the caller has read them, so that the indicator columns are the same), scored."""
    from credit_scoring.stages.ingest import run as ingest
    from credit_scoring.stages.merge import read_vocabulary
    from credit_scoring.stages.merge import run as merge

    ds = cfg.dataset
    files = batch_files(ds, folder)
    with tempfile.TemporaryDirectory(prefix="monitor-batch-") as tmp:
        work = Path(tmp)
        (work / "raw").mkdir()
        for file in files.values():
            (work / "raw" / file).symlink_to((Path(folder) / file).resolve())
        paths = dataclasses.replace(
            cfg.paths, raw=str(work / "raw"), ingest=str(work / "ingest"), merge=str(work / "merge")
        )
        # no training table in a batch, unless there is no production table (then: the training table's file)
        batch_ds = ds if ds.production_table is None else without_table(ds, ds.train_table)
        sub = dataclasses.replace(cfg, paths=paths, dataset=batch_ds)
        ingest(sub, log=log)
        levels = vocabulary if vocabulary is not None else read_vocabulary(Catalog(cfg.paths))
        merge(sub, log=log, vocabulary=levels)  # the training data's levels
        batch = Catalog(paths)
        app = batch.ingested(batch_table(ds)).read()
        rows = applicant_rows(app, side_features_frame(batch, cfg.features, ds.id), ds)
    return rows_population(rows, champion.pipeline, ds.id, Path(folder).name, str(folder))


def current_population(cfg: Config, champion: Champion, current: Path | None, log: Log) -> Population:
    if current is None:
        if cfg.dataset.production_table is None:
            log(f"dataset {cfg.dataset.name} has no production table: current = the held-out test split")
            return part_population(cfg, champion, "test", NO_PRODUCTION)
        return part_population(cfg, champion, "production", cfg.dataset.production_table)
    if Path(current).is_dir():
        return folder_population(cfg, champion, Path(current), log)
    return file_population(cfg, champion, Path(current))


def fairness_rows(cfg: Config, ids: np.ndarray) -> pd.DataFrame:
    """The group columns (fairness) of the test split's raw application rows, in the order of `ids`."""
    ds, fair = cfg.dataset, cfg.monitoring.fairness
    entry = Catalog(cfg.paths).ingested(ds.train_table)
    present = set(entry.columns())
    wanted = [c for c in (*fair.group_columns, fair.age_column) if c in present]
    app = entry.read(columns=[ds.id, *dict.fromkeys(wanted)])
    return pd.DataFrame({ds.id: ids}).merge(app, on=ds.id, how="left", validate="one_to_one")


def read_importance(cfg: Config) -> pd.Series | None:
    """The champion's global importance (the train stage's importance.csv), None when it is not there."""
    entry = Catalog(cfg.paths).importance
    frame = entry.read_optional()
    if frame is None:
        return None
    if not {"feature", "importance"} <= set(frame.columns):
        raise InputDataError(f"{entry.path}: expected columns feature, importance")
    return frame.set_index("feature")["importance"]


# ---- performance -------------------------------------------------------------------------------------------
def reference_performance(cfg: Config, champion: Champion, test: Population) -> dict[str, Any]:
    """ROC AUC, business cost and calibration of the champion on the test split (the reference figures)."""
    ev = cfg.evaluation
    return performance_metrics(test.target, test.score, champion.threshold, ev.cost, ev.calibration_bins)


def labelled_performance(
    cfg: Config, champion: Champion, reference: dict[str, Any], current: Population, labels: Path | None
) -> dict[str, Any] | None:
    """The figures of the labelled rows of `current` against `reference` (`reference_performance`); None when
    there is no label file or none of its rows is in `current`."""
    if labels is None or not Path(labels).is_file():
        return None
    ds, ev, col = cfg.dataset, cfg.evaluation, cfg.monitoring.report.score_column
    known = read_labels(Path(labels), ds.id, ds.target)
    joined = labelled_batch(
        pd.DataFrame({ds.id: current.ids, col: current.score}), known, ds.id, ds.target, col
    )
    if joined.empty:
        return None
    batch = performance_metrics(joined["y"], joined["p"], champion.threshold, ev.cost, ev.calibration_bins)
    out = compare_performance(batch, reference, cfg.monitoring.performance)
    out["validation"] = labelled_validation(joined["y"], joined["p"], reference, cfg)
    out["labels"] = {"file": str(labels), "labelled_rows": len(joined), "batch_rows": len(current.ids)}
    return out


# ---- the run -----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class MonitorResult:
    summary: dict[str, Any]
    verdict: PolicyVerdict
    out_dir: Path
    files: dict[str, Path]
    run_id: str | None


def write_card(
    cfg: Config, champion: Champion, train: Population, test: Population, reference: dict, summary: dict
) -> dict[str, Path]:
    """The model card: the champion, its data, test metrics (`reference`) and calibration, results by group."""
    from credit_scoring.tracking.history import export_for_card
    from credit_scoring.tracking.provenance import dvc_data_hash

    catalog, ref = Catalog(cfg.paths), champion.ref
    run = catalog.train_run.read_optional() or {}
    fair = fairness_report(
        fairness_rows(cfg, test.ids), test.score, test.target, champion.threshold, cfg.monitoring.fairness
    )
    return write_model_card(
        Path(cfg.monitoring.report.reports_dir),
        model={"name": ref.name, "version": ref.version, "alias": ref.alias,
               "kind": run.get("model_kind", "unknown"), "MLflow run": ref.run_id, "registered": ref.registered_at},
        training_data={
            "dataset": cfg.dataset.name,
            "data version (data.dvc md5)": dvc_data_hash(cfg.paths.data_dvc),
            "training rows": len(train.ids),
            "training default rate": float(np.mean(train.target)) if train.target is not None else None,
            "test rows": len(test.ids),
            "test default rate": float(np.mean(test.target)),
            "features": len(champion.features),
        },
        metrics=card_metrics(catalog.train_metrics.read_optional(), reference["ece"]),
        calibration=reference["calibration"],
        fairness=fair,
        threshold=champion.threshold,
        cost=cfg.evaluation.cost,
        threshold_note=THRESHOLD_NOTE,
        monitoring=monitoring_links(summary, cfg.monitoring.report.drift_dir, catalog.validation_html.path),
        history=export_for_card(cfg.registry, cfg.monitoring.report.reports_dir),
    )  # fmt: skip


def _champion(cfg: Config, log: Log) -> Champion:
    start = time.perf_counter()
    champion = load_champion(cfg)
    log(f"champion {champion.ref.name} v{champion.ref.version} ({champion.ref.alias_uri}), threshold "
        f"{champion.threshold:.4f} (loaded in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    return champion


def _references(cfg: Config, champion: Champion) -> tuple[Population, Population]:
    """The champion's two references: the training split (features) and the test split (score)."""
    return part_population(cfg, champion, "train", "training split"), part_population(
        cfg, champion, "test", "test split"
    )


def monitor(
    cfg: Config,
    current: Path | None = None,
    labels: Path | None = None,
    out_dir: Path | None = None,
    log: Log = print,
) -> MonitorResult:
    """Compare the champion's reference with a production population; write the reports; log to MLflow.

    current None: the pipeline's production table, reports in monitoring.report.drift_dir, the model card
    and paths.monitor/metrics.json too (the `monitor` stage). Otherwise a dated folder under
    monitoring.report.runs_dir (or `out_dir`). labels: outcomes of the production rows (default for the
    stage: the generator's oracle, when present).
    """
    mon, ds = cfg.monitoring, cfg.dataset
    champion = _champion(cfg, log)
    start = time.perf_counter()
    train, test = _references(cfg, champion)
    cur = current_population(cfg, champion, current, log)
    log(f"reference {len(train.ids):,} rows, current {cur.name} {len(cur.ids):,} rows, "
        f"{len(champion.features)} features (read and scored in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    start = time.perf_counter()
    table = drift_with_score(train.features, cur.features, test.score, cur.score, mon)
    verdict = evaluate_policy(table, mon.policy)
    log(f"PSI and drift tests of {len(table):,} columns in {time.perf_counter() - start:.1f} s")

    stage_run = current is None
    reports_dir = Path(mon.report.reports_dir)
    target = Path(out_dir) if out_dir else (
        Path(mon.report.drift_dir) if stage_run else Path(mon.report.runs_dir) / run_folder_name(cur.name)
    )  # fmt: skip
    if labels is None and stage_run:
        labels = default_labels(Path(cfg.paths.oracle), ds)  # the oracle, when it is this dataset's
    reference = reference_performance(cfg, champion, test)
    performance = labelled_performance(cfg, champion, reference, cur, labels)
    raw_columns = [c for c in ds.tables[batch_table(ds)].types if c not in (ds.id, ds.target)]
    col = mon.report.score_column
    with atomic_dir(target) as staging:
        evidently = check_top_features(
            test.features, cur.features, test.score, cur.score, read_importance(cfg), mon, staging
        )
        if evidently is not None:
            log(f"Evidently on {len(evidently.columns)} columns in {evidently.seconds:.1f} s: "
                f"{'passed' if evidently.passed else 'failed'}")  # fmt: skip
        label = f"{champion.ref.name} v{champion.ref.version} (@{champion.ref.alias})"  # its run: in MLflow
        summary = build_summary(
            table, verdict, mon, evidently, describe(label, champion.threshold, train, test, cur),
            raw_columns, performance, stamped=not stage_run,
        )  # fmt: skip
        bins = bin_table(pd.DataFrame({col: test.score}), pd.DataFrame({col: cur.score}), col, mon.psi)
        write_summary_report(staging, summary, table, mon, score_bins=bins)
    files = {"summary": target / SUMMARY_FILE, "html": target / DRIFT_HTML}
    if evidently is not None:
        files.update(evidently_html=target / HTML_FILE, evidently_json=target / JSON_FILE)
    if stage_run:
        card = write_card(cfg, champion, train, test, reference, summary)
        files.update({f"model_card_{k}": v for k, v in card.items()})
        Catalog(cfg.paths).monitor_metrics.write(monitoring_metrics(summary))
    files["index"] = write_index(reports_dir)
    run_id = log_report(
        cfg, champion.ref, summary, [p for k, p in files.items() if k != "index"], slug(cur.name)
    )
    log(f"{summary['counts']['drifted']} of {summary['counts']['features']} features drifted; score PSI "
        f"{summary['score']['psi']:.4f}; {verdict.status}")  # fmt: skip
    for reason in verdict.reasons:
        log(f"  - {reason}")
    if performance is not None:
        b = performance["batch"]
        log(f"labelled rows {performance['labels']['labelled_rows']:,}: ROC AUC {b['roc_auc']:.4f} "
            f"(test {performance['reference']['roc_auc']:.4f}), cost/client {b['cost']['cost_per_client']:.4f}")  # fmt: skip
    log(f"wrote {target}; index {files['index']}" + (f"; MLflow run {run_id}" if run_id else ""))
    return MonitorResult(summary, verdict, target, files, run_id)


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """The `monitor` stage of dvc.yaml: the pipeline's production table against the champion's reference."""
    return monitor(cfg, log=log).summary


# ---- drift over time ---------------------------------------------------------------------------------------
def monitor_series(
    cfg: Config,
    series_dir: Path,
    labels_dir: Path | None = None,
    out_dir: Path | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """PSI per feature per batch (a folder of batch folders), its plot, and performance per batch when
    `labels_dir/<batch>/<oracle file>` holds the outcomes."""
    from credit_scoring.stages.merge import read_vocabulary

    mon = cfg.monitoring
    champion = _champion(cfg, log)
    train, test = _references(cfg, champion)
    folders = batch_folders(series_dir)
    reference = reference_performance(cfg, champion, test)
    vocabulary = read_vocabulary(Catalog(cfg.paths))
    batches, per_batch = [], {}
    for folder in folders:
        pop = folder_population(cfg, champion, folder, vocabulary=vocabulary)
        log(f"{folder.name}: {len(pop.ids):,} rows, mean score {pop.score.mean():.4f}")
        batches.append((folder.name, pop.features.assign(**{mon.report.score_column: pop.score})))
        label_file = Path(labels_dir) / folder.name / Path(cfg.paths.oracle).name if labels_dir else None
        perf = labelled_performance(cfg, champion, reference, pop, label_file)
        per_batch[folder.name] = batch_entry(len(pop.ids), pop.score.mean(), perf)
    # features: reference = training split; the score: reference = the test split's scores
    series = psi_series_with_score(train.features, test.score, batches, mon)
    add_drift(per_batch, series)
    name = Path(series_dir).name
    target = Path(out_dir) if out_dir else Path(mon.report.runs_dir) / run_folder_name(name, "series")
    doc = {"series": str(series_dir), "champion": f"{champion.ref.name} v{champion.ref.version}",
           "batches": per_batch}  # fmt: skip
    with atomic_dir(target) as staging:
        series.to_csv(staging / SERIES_CSV, index=False)
        write_series_report(series, staging / SERIES_HTML, mon, title=f"Drift over time: {name}")
        write_json(doc, staging / SERIES_SUMMARY)
    write_index(Path(mon.report.reports_dir))
    log(f"wrote {target / SERIES_HTML}")
    for batch, entry in per_batch.items():
        perf = entry.get("performance")
        extra = f", ROC AUC {perf['roc_auc']:.4f}" if perf and perf.get("roc_auc") is not None else ""
        log(
            f"  {batch}: score PSI {entry['score_psi']:.4f}, {entry['drifted_features']} features drifted{extra}"
        )
    return {"out_dir": target, **doc}


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/monitor.py [--params FILE] [KEY=VALUE ...]``."""
    from credit_scoring.stages.runner import run_main

    return run_main("monitor", run, argv)
