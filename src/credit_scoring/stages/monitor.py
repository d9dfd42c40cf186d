"""The `monitor` stage and `credit-scoring monitor`: the champion's populations compared, reported, logged.

Reference population: the champion's training data, i.e. the features stage's training split (PSI of every
feature). The score's reference is the champion's probability on the held-out test split (same population,
unseen by the model: in-sample scores of the training rows are sharper than any new population's, so they
would always look drifted); the Evidently report compares the test split's top features and score.

Production population (`current`):
- default: the features stage's production table (application_test), scored with the champion;
- a file (CSV or Parquet of raw application rows): its side features are read from the merge stage's output
  for the ids it has (rows without side-table history get none), then preprocessed by the champion itself;
- a folder holding the production table and the side tables (a month of `credit-scoring batches`): ingested
  and aggregated on its own in a temporary folder, then preprocessed by the champion.

Outputs of the stage: `monitoring.report.drift_dir` (summary.json, report.html, evidently.html/json), the
model card in `monitoring.report.reports_dir`, `paths.monitor/metrics.json` (headline figures for
`dvc metrics`), the index page, and an MLflow run tagged with the champion's run id and version. An ad-hoc
run (`--current`, `--series`) writes a dated folder under `monitoring.report.runs_dir` instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.config.monitoring import MonitoringConfig, PerformanceConfig
from credit_scoring.errors import InputDataError
from credit_scoring.io.atomic import atomic_dir, write_json
from credit_scoring.io.catalog import Catalog
from credit_scoring.monitoring.evidently_report import EvidentlyResult, run_evidently, top_features
from credit_scoring.monitoring.fairness import fairness_report
from credit_scoring.monitoring.mlflow_log import log_monitoring_run, monitoring_metrics
from credit_scoring.monitoring.performance import (
    compare_performance,
    labelled_batch,
    performance_metrics,
)
from credit_scoring.monitoring.policy import PolicyVerdict, evaluate_policy
from credit_scoring.monitoring.psi import SCORE, ReferenceProfile, bin_table, compare, drift_table
from credit_scoring.monitoring.report import (
    DRIFT_HTML,
    SUMMARY_FILE,
    write_drift_report,
    write_index,
    write_model_card,
)
from credit_scoring.monitoring.series import psi_series, write_series_report

if TYPE_CHECKING:
    from credit_scoring.features.aggregate import Vocabulary

METRICS_FILE = "metrics.json"  # in paths.monitor: headline figures (DVC metrics)
EVIDENTLY_HTML = "evidently.html"
EVIDENTLY_JSON = "evidently.json"
SERIES_HTML = "series.html"
SERIES_CSV = "psi_series.csv"
SERIES_SUMMARY = "series.json"
IMPORTANCE_FILE = "importance.csv"  # in paths.train: the champion's global importance (feature, importance)
RUN_FILE = "run.json"  # in paths.train
Log = Callable[[str], None]


# ---- the champion ------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Champion:
    """The model under the registry alias, unwrapped to its scoring pipeline."""

    pipeline: Any  # credit_scoring.scoring.pipeline.ScoringPipeline
    name: str
    alias: str
    version: str
    run_id: str
    uri: str
    registered_at: str

    @property
    def features(self) -> list[str]:
        return list(self.pipeline.feature_names)

    @property
    def threshold(self) -> float:
        return float(self.pipeline.threshold)


def load_champion(cfg: Config) -> Champion:
    """Load `models:/<model_name>@<alias>` from the configured store; a clear error when there is none."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from credit_scoring.tracking.store import tracking_uri, use_tracking_uri

    reg = cfg.registry
    uri = tracking_uri(reg)
    use_tracking_uri(uri)
    try:
        mv = MlflowClient().get_model_version_by_alias(reg.model_name, reg.alias)
    except MlflowException as exc:
        raise InputDataError(
            f"no model {reg.model_name!r} with alias {reg.alias!r} in {uri}: run the train and register stages "
            f"first ({str(exc).splitlines()[0]})"
        ) from None
    model_uri = f"models:/{reg.model_name}@{reg.alias}"
    pyfunc = mlflow.pyfunc.load_model(model_uri)
    registered = dt.datetime.fromtimestamp(mv.creation_timestamp / 1000, dt.UTC).replace(microsecond=0)
    return Champion(
        pipeline=pyfunc.unwrap_python_model().pipeline,
        name=reg.model_name,
        alias=reg.alias,
        version=str(mv.version),
        run_id=str(mv.run_id),
        uri=model_uri,
        registered_at=registered.isoformat(),
    )


# ---- populations -------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Population:
    """Rows of one population as the champion sees them: ids, feature frame, probability of default."""

    name: str
    ids: np.ndarray
    features: pd.DataFrame  # the champion's feature columns
    score: np.ndarray
    source: str
    target: np.ndarray | None = None  # outcomes, where known (the test split)
    application: pd.DataFrame | None = None  # raw application columns (for results by group)
    notes: list[str] = dataclasses.field(default_factory=list)


def _read_features(path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> pd.DataFrame:
    """`columns` (all required) and those of `optional` the file has, from a features stage table."""
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the features stage first)")
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    missing = [c for c in columns if c not in present]
    if missing:
        raise InputDataError(
            f"{path}: lacks {len(missing)} of the champion's features (e.g. {missing[:5]}): the champion was "
            "trained on other features; rerun the pipeline (dvc repro) so that both agree"
        )
    wanted = [*columns, *(c for c in optional if c in present)]
    return pd.read_parquet(path, columns=list(dict.fromkeys(wanted)))


def feature_population(cfg: Config, champion: Champion, table: str, name: str) -> Population:
    """A table of the features stage (train, test, production), scored by the champion."""
    ds = cfg.dataset
    path = Path(cfg.paths.features) / f"{table}.parquet"
    frame = _read_features(path, [ds.id, *champion.features], optional=[ds.target])
    has_target = ds.target in frame.columns
    score = champion.pipeline.probability_of_features(frame)
    return Population(
        name=name,
        ids=frame[ds.id].to_numpy(),
        features=frame[champion.features],
        score=np.asarray(score, dtype=np.float64),
        source=str(path),
        target=frame[ds.target].to_numpy(dtype="int64") if has_target else None,
    )


def read_rows(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file of raw rows."""
    if not path.is_file():
        raise InputDataError(f"{path}: not found")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix in (".csv", ".gz"):
            return pd.read_csv(path, low_memory=False)
    except Exception as exc:  # parser errors of any kind
        raise InputDataError(f"{path}: cannot be read: {str(exc).splitlines()[0]}") from None
    raise InputDataError(f"{path}: expected a .csv or .parquet file")


def _score_rows(cfg: Config, champion: Champion, rows: pd.DataFrame, name: str, source: str) -> Population:
    """Raw applicant rows (application columns, side features joined) through the champion's preprocessing."""
    from credit_scoring.modelling.models import MATRIX_DTYPE

    ds, pipe = cfg.dataset, champion.pipeline
    if ds.id not in rows.columns:
        raise InputDataError(f"{source}: no {ds.id} column")
    if len(rows) == 0:
        raise InputDataError(f"{source}: no rows")
    matrix = pipe.preprocessor.transform_matrix(rows).astype(MATRIX_DTYPE, copy=False)
    score = pipe.probability_of_matrix(pipe.impute(matrix))
    features = pd.DataFrame(matrix, columns=champion.features)
    return Population(
        name=name,
        ids=rows[ds.id].to_numpy(),
        features=features,
        score=np.asarray(score, dtype=np.float64),
        source=source,
        application=rows,
    )


def file_population(cfg: Config, champion: Champion, path: Path) -> Population:
    """Raw application rows from a file; side features from the merge stage's output for the known ids."""
    from credit_scoring.features.rows import applicant_rows, side_features_frame

    ds = cfg.dataset
    app = read_rows(path)
    if ds.id not in app.columns:
        raise InputDataError(f"{path}: no {ds.id} column")
    notes = []
    expected = [c for c in champion.pipeline.preprocessor.application_columns_ if c != ds.id]
    absent = [c for c in expected if c not in app.columns]
    if len(absent) == len(expected):
        raise InputDataError(
            f"{path}: none of the application columns (e.g. {expected[:3]}): not applicant rows"
        )
    if absent:
        shown = ", ".join(absent[:10]) + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
        notes.append(f"{len(absent)} application column(s) absent from the file, taken as missing: {shown}")
    side_cols = [c for c in champion.pipeline.preprocessor.side_columns_ if c in app.columns]
    if champion.pipeline.preprocessor.side_columns_ and not side_cols:
        side = side_features_frame(Catalog(cfg.paths), cfg.features, ds.id, app[ds.id].to_numpy())
        known = int(np.isin(app[ds.id].to_numpy(), side[ds.id].to_numpy()).sum()) if side is not None else 0
        notes.append(
            f"side features joined from {cfg.paths.merge} for {known:,} of {len(app):,} applicants "
            "(the others have no side-table history there)"
        )
        rows = applicant_rows(app, side, ds)
    else:
        rows = app.reset_index(drop=True)
    pop = _score_rows(cfg, champion, rows, path.stem, str(path))
    pop.notes = notes
    return pop


def without_table(ds: Any, name: str) -> Any:
    """The dataset config without table `name` (nor references to it): a batch has no training table."""
    tables = {}
    for key, table in ds.tables.items():
        if key == name:
            continue
        refs = [
            dataclasses.replace(fk, tables=[p for p in fk.tables if p != name]) for fk in table.references
        ]
        tables[key] = dataclasses.replace(table, references=[fk for fk in refs if fk.tables])
    return dataclasses.replace(ds, tables=tables)


def folder_population(
    cfg: Config,
    champion: Champion,
    folder: Path,
    log: Log = lambda _m: None,
    vocabulary: Vocabulary | None = None,
) -> Population:
    """A folder with the production table and the side tables: ingested and merged on its own (keeping the
    categorical levels of the training data's merge, so that the indicator columns are the same), then scored.

    vocabulary: those levels, when the caller already read them (default: read from the merge stage's report).
    """
    from credit_scoring.features.rows import applicant_rows, side_features_frame
    from credit_scoring.stages.ingest import run as ingest
    from credit_scoring.stages.merge import read_vocabulary
    from credit_scoring.stages.merge import run as merge

    ds = cfg.dataset
    if not folder.is_dir():
        raise InputDataError(f"{folder}: not a folder")
    needed = {n: t.file for n, t in ds.tables.items() if n != ds.train_table}
    missing = [f for f in needed.values() if not (folder / f).is_file()]
    if missing:
        raise InputDataError(f"{folder}: missing {missing} (a batch folder holds {sorted(needed.values())})")
    with tempfile.TemporaryDirectory(prefix="monitor-batch-") as tmp:
        work = Path(tmp)
        raw = work / "raw"
        raw.mkdir()
        for file in needed.values():
            (raw / file).symlink_to((folder / file).resolve())
        paths = dataclasses.replace(
            cfg.paths, raw=str(raw), ingest=str(work / "ingest"), merge=str(work / "merge")
        )
        sub = dataclasses.replace(cfg, paths=paths, dataset=without_table(ds, ds.train_table))
        ingest(sub, log=log)
        levels = vocabulary if vocabulary is not None else read_vocabulary(Catalog(cfg.paths))
        merge(sub, log=log, vocabulary=levels)  # the training data's levels
        app = pd.read_parquet(work / "ingest" / f"{ds.production_table}.parquet")
        side = side_features_frame(Catalog(paths), cfg.features, ds.id)
        rows = applicant_rows(app, side, ds)
    return _score_rows(cfg, champion, rows, folder.name, str(folder))


def current_population(cfg: Config, champion: Champion, current: Path | None, log: Log) -> Population:
    if current is None:
        return feature_population(cfg, champion, "production", cfg.dataset.production_table)
    current = Path(current)
    if current.is_dir():
        return folder_population(cfg, champion, current, log)
    return file_population(cfg, champion, current)


# ---- drift -------------------------------------------------------------------------------------------------
def score_frame(pop: Population, column: str) -> pd.DataFrame:
    return pd.DataFrame({column: pop.score})


def drift_with_score(
    reference: Population, score_reference: Population, current: Population, mon: MonitoringConfig
) -> pd.DataFrame:
    """PSI + chi-square drift of every feature (reference: training split) and of the score (reference: the
    test split's scores), one table sorted by PSI."""
    col = mon.report.score_column
    features = drift_table(reference.features, current.features, list(reference.features.columns), cfg=mon)
    profile = ReferenceProfile.fit(score_frame(score_reference, col), [col], mon.psi)
    score = compare(profile, score_frame(current, col), mon, SCORE)
    table = pd.concat([features, score])
    return table.sort_values("psi", ascending=False, na_position="last", kind="mergesort")


def read_importance(train_dir: Path) -> pd.Series | None:
    path = Path(train_dir) / IMPORTANCE_FILE
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    if not {"feature", "importance"} <= set(frame.columns):
        raise InputDataError(f"{path}: expected columns feature, importance")
    return frame.set_index("feature")["importance"]


def evidently_check(
    score_reference: Population,
    current: Population,
    importance: pd.Series | None,
    mon: MonitoringConfig,
    out_dir: Path,
) -> EvidentlyResult | None:
    """Evidently's preset on the champion's top features + score (test split vs production)."""
    if not mon.evidently.enabled:
        return None
    available = list(current.features.columns)
    if importance is None:  # no importance recorded: the features in the champion's order
        importance = pd.Series(np.arange(len(available), 0, -1), index=available, dtype="float64")
    columns = top_features(importance, mon.evidently.top_features, available)
    col = mon.report.score_column
    ref = score_reference.features[columns].assign(**{col: score_reference.score})
    cur = current.features[columns].reset_index(drop=True).assign(**{col: current.score})
    return run_evidently(
        ref, cur, [*columns, col], mon.evidently, out_dir / EVIDENTLY_HTML, out_dir / EVIDENTLY_JSON
    )


# ---- labels ------------------------------------------------------------------------------------------------
def performance_config(cfg: Config) -> PerformanceConfig:
    """The monitoring performance settings with the pipeline's own costs (evaluation.cost)."""
    cost = cfg.evaluation.cost
    return dataclasses.replace(
        cfg.monitoring.performance, cost_fn=cost.false_negative, cost_fp=cost.false_positive
    )


def read_labels(path: Path, id_col: str, target: str) -> pd.DataFrame:
    labels = read_rows(path)
    missing = [c for c in (id_col, target) if c not in labels.columns]
    if missing:
        raise InputDataError(f"{path}: lacks column(s) {missing} (labels need {id_col} and {target})")
    bad = ~labels[target].isin([0, 1])
    if bad.any():
        raise InputDataError(f"{path}: column {target} must be 0 or 1; {int(bad.sum())} rows are not")
    return labels[[id_col, target]]


def test_performance(cfg: Config, champion: Champion, test: Population) -> dict[str, Any]:
    """ROC AUC, business cost and calibration of the champion on the test split (the reference figures)."""
    return performance_metrics(test.target, test.score, performance_config(cfg), threshold=champion.threshold)


def labelled_performance(
    cfg: Config, champion: Champion, reference: dict[str, Any], current: Population, labels: Path | None
) -> dict[str, Any] | None:
    """ROC AUC, business cost and calibration of the labelled rows of `current` against `reference`, the
    test figures (`test_performance`)."""
    if labels is None or not Path(labels).is_file():
        return None
    ds, perf = cfg.dataset, performance_config(cfg)
    col = cfg.monitoring.report.score_column
    known = read_labels(Path(labels), ds.id, ds.target)
    preds = pd.DataFrame({ds.id: current.ids, col: current.score})
    joined = labelled_batch(preds, known, ds.id, ds.target, col)
    if joined.empty:
        return None
    batch = performance_metrics(joined["y"], joined["p"], perf, threshold=champion.threshold)
    out = compare_performance(batch, reference, perf)
    out["labels"] = {"file": str(labels), "labelled_rows": len(joined), "batch_rows": len(current.ids)}
    return out


# ---- model card --------------------------------------------------------------------------------------------
def _test_application(cfg: Config, ids: np.ndarray) -> pd.DataFrame:
    """Raw application columns of the test split's rows, in the order of `ids` (for results by group)."""
    ds = cfg.dataset
    path = Path(cfg.paths.ingest) / f"{ds.train_table}.parquet"
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the ingest stage first)")
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    wanted = [
        c
        for c in (*cfg.monitoring.fairness.group_columns, cfg.monitoring.fairness.age_column)
        if c in present
    ]
    app = pd.read_parquet(path, columns=[ds.id, *dict.fromkeys(wanted)])
    out = pd.DataFrame({ds.id: ids}).merge(app, on=ds.id, how="left", validate="one_to_one")
    return out


def _train_metrics(train_dir: Path) -> dict[str, Any]:
    path = Path(train_dir) / "metrics.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    test = data.get("test", {})
    keys = ("roc_auc", "pr_auc", "gini", "ks", "brier", "recall", "precision", "refusal_rate", "business_cost",
            "oracle_roc_auc", "roc_auc_vs_oracle")  # fmt: skip
    return {f"test {k}": test[k] for k in keys if test.get(k) is not None}


def write_card(
    cfg: Config,
    champion: Champion,
    train: Population,
    test: Population,
    reference: dict[str, Any],
    summary: dict[str, Any],
    reports_dir: Path,
) -> dict[str, Path]:
    """The model card: the champion, its data, test metrics (`reference`: `test_performance`) and calibration,
    results by group."""
    from credit_scoring.tracking.provenance import dvc_data_hash

    mon, perf = cfg.monitoring, performance_config(cfg)
    run = {}
    run_path = Path(cfg.paths.train) / RUN_FILE
    if run_path.is_file():
        run = json.loads(run_path.read_text(encoding="utf-8"))
    metrics = {
        **_train_metrics(Path(cfg.paths.train)),
        "test expected calibration error": reference["ece"],
    }
    application = _test_application(cfg, test.ids)
    fair = fairness_report(application, test.score, test.target, champion.threshold, mon.fairness)
    policy = summary["policy"]
    return write_model_card(
        reports_dir,
        model={
            "name": champion.name,
            "version": champion.version,
            "alias": champion.alias,
            "kind": run.get("model_kind", "unknown"),
            "MLflow run": champion.run_id,
            "registered": champion.registered_at,
        },
        training_data={
            "dataset": cfg.dataset.name,
            "data version (data.dvc md5)": dvc_data_hash(cfg.paths.data_dvc),
            "training rows": len(train.ids),
            "training default rate": float(np.mean(train.target)) if train.target is not None else None,
            "test rows": len(test.ids),
            "test default rate": float(np.mean(test.target)),
            "features": len(champion.features),
        },
        metrics=metrics,
        calibration=reference["calibration"],
        fairness=fair,
        threshold=champion.threshold,
        cost_fn=perf.cost_fn,
        cost_fp=perf.cost_fp,
        threshold_note=(
            "The threshold minimises this cost on the validation split (after calibration); it is stored with "
            "the model and used by the app."
        ),
        monitoring={
            "latest drift verdict": f"{policy['status']} ({summary['generated_at']})",
            "drifted features": f"{summary['counts']['drifted']} of {summary['counts']['features']}",
            "report": f"{Path(mon.report.drift_dir).name}/{DRIFT_HTML}",
        },
    )


# ---- the run -----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class MonitorResult:
    summary: dict[str, Any]
    verdict: PolicyVerdict
    out_dir: Path
    files: dict[str, Path]
    run_id: str | None


def _metadata(champion: Champion, train: Population, test: Population, current: Population) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "champion": f"{champion.name} v{champion.version} (@{champion.alias}, run {champion.run_id})",
        "threshold": champion.threshold,
        "reference (features)": f"training split: {train.source} ({len(train.ids):,} rows)",
        "reference (score, Evidently)": f"held-out test split: {test.source} ({len(test.ids):,} rows)",
        "current": f"{current.name}: {current.source} ({len(current.ids):,} rows)",
        "current mean score": float(np.mean(current.score)),
        "current refusal rate": float(np.mean(current.score >= champion.threshold)),
    }
    for i, note in enumerate(current.notes):
        meta[f"note {i + 1}"] = note
    return meta


def _log_mlflow(
    cfg: Config, champion: Champion, summary: dict, files: Sequence[Path], name: str
) -> str | None:
    if not cfg.monitoring.tracking.enabled:
        return None
    from credit_scoring.tracking.store import setup_tracking

    reg = dataclasses.replace(cfg.registry, experiment=cfg.monitoring.tracking.experiment)
    experiment_id = setup_tracking(reg)
    return log_monitoring_run(
        summary,
        files,
        experiment_id=experiment_id,
        run_name=f"monitor-{name}",
        champion_run_id=champion.run_id,
        champion_model_uri=champion.uri,
        champion_version=champion.version,
        feature_psi=cfg.monitoring.tracking.feature_psi,
    )


def stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "batch"


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
    mon = cfg.monitoring
    start = time.perf_counter()
    champion = load_champion(cfg)
    log(f"champion {champion.name} v{champion.version} ({champion.uri}), threshold {champion.threshold:.4f} "
        f"(loaded in {time.perf_counter() - start:.1f} s)")  # fmt: skip
    start = time.perf_counter()
    train = feature_population(cfg, champion, "train", "training split")
    test = feature_population(cfg, champion, "test", "test split")
    cur = current_population(cfg, champion, current, log)
    log(f"reference {len(train.ids):,} rows, current {cur.name} {len(cur.ids):,} rows, "
        f"{len(champion.features)} features (read and scored in {time.perf_counter() - start:.1f} s)")  # fmt: skip

    start = time.perf_counter()
    table = drift_with_score(train, test, cur, mon)
    verdict = evaluate_policy(table, mon.policy)
    log(f"PSI and drift tests of {len(table):,} columns in {time.perf_counter() - start:.1f} s")

    stage_run = current is None
    reports_dir = Path(mon.report.reports_dir)
    target = Path(out_dir) if out_dir else (
        Path(mon.report.drift_dir) if stage_run else Path(mon.report.runs_dir) / f"{stamp()}-{_slug(cur.name)}"
    )  # fmt: skip
    if labels is None and stage_run:
        labels = Path(cfg.paths.oracle)
    reference = test_performance(cfg, champion, test)
    performance = labelled_performance(cfg, champion, reference, cur, labels)
    raw_columns = [c for c in cfg.dataset.tables[cfg.dataset.production_table].types if c != cfg.dataset.id]
    col = mon.report.score_column
    with atomic_dir(target) as staging:
        evidently = evidently_check(test, cur, read_importance(Path(cfg.paths.train)), mon, staging)
        if evidently is not None:
            log(f"Evidently on {len(evidently.columns)} columns in {evidently.seconds:.1f} s: "
                f"{'passed' if evidently.passed else 'failed'}")  # fmt: skip
            evidently.html_path = Path(EVIDENTLY_HTML)  # relative to the report's folder (portable)
            evidently.json_path = Path(EVIDENTLY_JSON)
        write_drift_report(
            staging,
            table,
            verdict,
            mon,
            evidently=evidently,
            metadata=_metadata(champion, train, test, cur),
            raw_columns=raw_columns,
            performance=performance,
            score_bins=bin_table(score_frame(test, col), score_frame(cur, col), col, mon.psi),
        )
        summary = json.loads((staging / SUMMARY_FILE).read_text(encoding="utf-8"))
    files = {"summary": target / SUMMARY_FILE, "html": target / DRIFT_HTML}
    if evidently is not None:
        files.update(evidently_html=target / EVIDENTLY_HTML, evidently_json=target / EVIDENTLY_JSON)
    if stage_run:
        card = write_card(cfg, champion, train, test, reference, summary, reports_dir)
        files.update({f"model_card_{k}": v for k, v in card.items()})
        write_json(monitoring_metrics(summary), Path(cfg.paths.monitor) / METRICS_FILE)
    files["index"] = write_index(reports_dir)
    run_id = _log_mlflow(
        cfg, champion, summary, [p for k, p in files.items() if k != "index"], _slug(cur.name)
    )
    drifted = summary["counts"]["drifted"]
    log(f"{drifted} of {summary['counts']['features']} features drifted; score PSI "
        f"{summary['score']['psi']:.4f}; {verdict.status}")  # fmt: skip
    for reason in verdict.reasons:
        log(f"  - {reason}")
    if performance is not None:
        b = performance["batch"]
        log(f"labelled rows {performance['labels']['labelled_rows']:,}: ROC AUC {b['roc_auc']:.4f} "
            f"(test {performance['reference']['roc_auc']:.4f}), cost/client {b['cost']['cost_per_client']:.4f}")  # fmt: skip
    log(f"wrote {target}; index {files['index']}" + (f"; MLflow run {run_id}" if run_id else ""))
    return MonitorResult(summary, verdict, target, files, run_id)


def monitor_stage(cfg: Config, log: Log = print) -> dict[str, Any]:
    """The `monitor` stage of dvc.yaml: the pipeline's production table against the champion's reference."""
    return monitor(cfg, log=log).summary


# ---- drift over time ---------------------------------------------------------------------------------------
def batch_folders(series_dir: Path) -> list[Path]:
    """The batch folders of a series (sorted by name: month_01, month_02, ...)."""
    series_dir = Path(series_dir)
    if not series_dir.is_dir():
        raise InputDataError(f"{series_dir}: not a folder")
    folders = sorted(p for p in series_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise InputDataError(f"{series_dir}: no batch folder inside (expected e.g. month_01/, month_02/)")
    return folders


def monitor_series(
    cfg: Config,
    series_dir: Path,
    labels_dir: Path | None = None,
    out_dir: Path | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """PSI per feature per batch (a folder of batch folders), its plot, and performance per batch when
    `labels_dir/<batch>/<oracle file>` holds the outcomes."""
    mon = cfg.monitoring
    champion = load_champion(cfg)
    train = feature_population(cfg, champion, "train", "training split")
    test = feature_population(cfg, champion, "test", "test split")
    folders = batch_folders(series_dir)
    col = mon.report.score_column
    from credit_scoring.stages.merge import read_vocabulary

    reference = test_performance(cfg, champion, test)
    vocabulary = read_vocabulary(Catalog(cfg.paths))
    batches, per_batch = [], {}
    for folder in folders:
        pop = folder_population(cfg, champion, folder, vocabulary=vocabulary)
        log(f"{folder.name}: {len(pop.ids):,} rows, mean score {pop.score.mean():.4f}")
        batches.append((folder.name, pop.features.assign(**{col: pop.score})))
        entry: dict[str, Any] = {"rows": len(pop.ids), "mean_score": float(pop.score.mean())}
        oracle_name = Path(cfg.paths.oracle).name
        label_file = Path(labels_dir) / folder.name / oracle_name if labels_dir else None
        perf = labelled_performance(cfg, champion, reference, pop, label_file)
        if perf is not None:
            entry["performance"] = {k: perf["batch"][k] for k in ("roc_auc", "brier", "ece", "default_rate")}
            entry["performance"]["cost_per_client"] = perf["batch"]["cost"]["cost_per_client"]
            entry["warnings"] = perf["warnings"]
        per_batch[folder.name] = entry
    # features: reference = training split; the score: reference = the test split's scores
    series = psi_series(train.features, batches, columns=champion.features, cfg=mon)
    score_series = psi_series(score_frame(test, col), [(n, b[[col]]) for n, b in batches], columns=[],
                              score_column=col, cfg=mon)  # fmt: skip
    series = pd.concat([series, score_series], ignore_index=True)
    target = (
        Path(out_dir)
        if out_dir
        else Path(mon.report.runs_dir) / f"{stamp()}-series-{_slug(Path(series_dir).name)}"
    )
    drifted = series[series["role"] != SCORE].groupby("batch", sort=False)["drifted"].sum()
    for name, entry in per_batch.items():
        s = series[(series["batch"] == name) & (series["role"] == SCORE)]
        entry["score_psi"] = float(s["psi"].iloc[0]) if len(s) else None
        entry["drifted_features"] = int(drifted.get(name, 0))
    doc = {
        "series": str(series_dir),
        "champion": f"{champion.name} v{champion.version}",
        "batches": per_batch,
    }
    with atomic_dir(target) as staging:
        series.to_csv(staging / SERIES_CSV, index=False)
        write_series_report(
            series, staging / SERIES_HTML, mon, title=f"Drift over time: {Path(series_dir).name}"
        )
        write_json(doc, staging / SERIES_SUMMARY)
    write_index(Path(mon.report.reports_dir))
    log(f"wrote {target / SERIES_HTML}")
    for name, entry in per_batch.items():
        perf = entry.get("performance")
        extra = f", ROC AUC {perf['roc_auc']:.4f}" if perf and perf.get("roc_auc") is not None else ""
        log(
            f"  {name}: score PSI {entry['score_psi']:.4f}, {entry['drifted_features']} features drifted{extra}"
        )
    return {"out_dir": target, **doc}


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/monitor.py [--params FILE] [KEY=VALUE ...]``."""
    from credit_scoring.stages.runner import run_main

    return run_main("monitor", monitor_stage, argv)
