"""Stage `train`: Hyperopt-tuned model, calibration, business-cost threshold, evaluation, MLflow run.

Reads the resampled training split (and, with k-fold tuning trials, the training split before resampling,
resampled per fold), the untouched validation and test splits, and the raw applicant rows
(ingest + merge + split) that the logged pyfunc model is fitted and checked on. Writes the catalog's train
outputs: metrics.json (DVC metrics, grouped by split), plots/*.csv (DVC plots), trials.csv, importance.csv
run.json (the run key by which the register stage finds the MLflow run and model: no MLflow id, so the
same inputs give the same bytes) and points.csv (a scorecard's points table:
variable, bin, woe, iv, points; the header only for the other kinds). The fitting itself is
`credit_scoring.modelling.training`; what is recorded in MLflow, `credit_scoring.tracking`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.config.modelling import trial_folds
from credit_scoring.errors import InputDataError
from credit_scoring.features.rows import part_application_rows, side_feature_names, split_rows
from credit_scoring.io.catalog import PLOT_FILES, PLOTS_DIR, Catalog
from credit_scoring.modelling.evaluation import load_oracle
from credit_scoring.modelling.resampling import WEIGHT_COLUMN
from credit_scoring.modelling.scorecard import POINTS_COLUMNS
from credit_scoring.modelling.training import (
    Fitted,
    ModelInputs,
    fit_model,
    flat_metrics,
    importance_of,
    plot_data,
    pool_of,
    split_data,
)
from credit_scoring.modelling.tuning import Trial
from credit_scoring.scoring.pipeline import ApplicantPreprocessor, ScoringPipeline
from credit_scoring.stages.runner import Log, run_main
from credit_scoring.tracking.model_log import log_scoring_model
from credit_scoring.tracking.runs import Frames, log_figures, log_run_metadata, log_trial
from credit_scoring.tracking.stale import end_dead_runs, owner_tags
from credit_scoring.tracking.store import setup_tracking
from credit_scoring.tracking.train_run import MODEL_URI_TAG, RUN_KEY_TAG, run_key

NAME = "train"
PARITY_TOLERANCE = 1e-6  # max |probability difference| between raw-row scoring and the features tables


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a run reads: the model's matrices, the raw-row preprocessing and imputer, the raw test rows of
    the parity check (a seeded sample of `evaluation.parity_rows`)."""

    model: ModelInputs
    imputer: Any
    preprocessor: ApplicantPreprocessor
    raw_test: pd.DataFrame


def fit_preprocessor(cfg: Config, feature_names: list[str]) -> ApplicantPreprocessor:
    """Preprocessing of raw rows, fitted on the training rows' application columns (the encoder reads no side
    feature); it must rebuild the features stage's columns."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    app_train = part_application_rows(catalog, ds, "train")
    side_columns = side_feature_names(catalog, cfg.features, ds.id)
    pre = ApplicantPreprocessor(ds, cfg.features).fit(app_train, side_columns=side_columns)
    if pre.feature_names_out_ != feature_names:
        extra = sorted(set(pre.feature_names_out_) ^ set(feature_names))[:10]
        raise InputDataError(
            "the inference preprocessing does not rebuild the features stage's columns "
            f"(differences: {extra or 'column order'}): rerun the features stage"
        )
    return pre


def load_inputs(cfg: Config) -> tuple[Inputs, Frames]:
    """Resampled training split, untouched validation and test splits, raw rows and preprocessing; and the
    split frames as read, for MLflow's dataset logging (drop them after: the matrices are all a run needs)."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    entries = {"training": catalog.resampled, "validation": catalog.features_part("valid")}
    entries["test"] = catalog.features_part("test")
    train, valid, test = (entry.read() for entry in entries.values())
    names = [c for c in valid.columns if c not in (ds.id, ds.target)]
    missing = sorted(set(names) - set(train.columns))
    if missing:
        raise InputDataError(f"the resampled training split lacks features {missing[:10]}: rerun resample")
    imputer = catalog.imputer.read_optional()
    frames = {
        context: (frame, entry.path)
        for (context, entry), frame in zip(entries.items(), (train, valid, test), strict=True)
    }
    pool = None
    if trial_folds(cfg.tuning, cfg.model) > 1:  # train + valid before resampling: resampled per fold
        raw_train = split_data(catalog.features_part("train").read(), names, ds.id, ds.target, None)
        pool = pool_of(raw_train, split_data(valid, names, ds.id, ds.target, None))
    model_inputs = ModelInputs(
        train=split_data(train, names, ds.id, ds.target, None),  # imputed by the resample stage if needed
        valid=split_data(valid, names, ds.id, ds.target, imputer),
        test=split_data(test, names, ds.id, ds.target, imputer),
        weights=train[WEIGHT_COLUMN].to_numpy(dtype="float64") if WEIGHT_COLUMN in train.columns else None,
        feature_names=names,
        oracle=load_oracle(cfg.paths.oracle, ds.id, cfg.evaluation.oracle_probability),
        pool=pool,
        imputer=imputer,
    )
    inputs = Inputs(
        model=model_inputs,
        imputer=imputer,
        preprocessor=fit_preprocessor(cfg, names),
        raw_test=split_rows(catalog, ds, cfg.features, "test", parity_ids(model_inputs.test.ids, cfg)),
    )
    return inputs, frames


def parity_ids(test_ids: np.ndarray, cfg: Config) -> np.ndarray:
    """A seeded sample of `evaluation.parity_rows` test ids: the rows of the parity check."""
    ev = cfg.evaluation
    rng = np.random.default_rng(ev.seed)
    return np.sort(rng.choice(test_ids, size=min(ev.parity_rows, len(test_ids)), replace=False))


def check_parity(
    pipeline: ScoringPipeline, raw: pd.DataFrame, test_ids: np.ndarray, p_test: np.ndarray, id_col: str
) -> float:
    """Largest |difference| between scoring raw rows (a sample of test rows) and the in-process
    probabilities of the same ids; raises if too large."""
    rows = pd.Index(test_ids).get_indexer(raw[id_col].to_numpy())
    if (rows < 0).any():
        raise InputDataError("the raw test rows of the parity check are not all in the test split")
    expected = p_test[rows]
    got = pipeline.predict(raw)["probability"].to_numpy()
    gap = float(np.max(np.abs(got - expected))) if len(got) else 0.0
    if gap > PARITY_TOLERANCE:
        raise InputDataError(
            f"scoring raw applicant rows differs from the features tables by up to {gap:.2e}: "
            "the features stage and the inference preprocessing disagree (rerun the features stage)"
        )
    return gap


def trial_rows(fitted: Fitted) -> list[dict[str, Any]]:
    """One row per tuning trial: number, loss, rounds, its metrics and params (trials.csv)."""
    return [
        {"trial": t.number, "loss": t.loss, "rounds": t.rounds, **t.metrics, **t.params}
        for t in fitted.result.trials
    ]


def write_outputs(
    catalog: Catalog, fitted: Fitted, record: dict, curves: dict, importance: pd.Series | None
) -> None:
    """paths.train: metrics.json, run.json, trials.csv, importance.csv, plots/*.csv (test split curves).

    No wall times in them (they are logged to MLflow): the same inputs give the same bytes."""
    trials = pd.DataFrame(trial_rows(fitted))
    if importance is None:
        importance = pd.Series(dtype="float64", name="importance")
    with catalog.staging(NAME) as staging:
        catalog.train_metrics.write(fitted.metrics, staging)
        catalog.train_run.write(record, staging)
        catalog.trials.write(trials, staging)
        catalog.importance.write(importance.rename_axis("feature").reset_index(), staging)
        points = fitted.result.model.points_table()
        catalog.points_table.write(
            points if points is not None else pd.DataFrame(columns=POINTS_COLUMNS), staging
        )
        plots = staging / PLOTS_DIR
        for curve in PLOT_FILES:
            frame = curves[curve]["both"] if curve == "cost" else curves[curve]["test"]
            catalog.plot(curve).write(frame, plots)


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Run the stage; returns the content of metrics.json plus the tuning times (MLflow only)."""
    inputs, frames = load_inputs(cfg)
    data = inputs.model
    log(
        f"train {len(data.train.y):,} rows, valid {len(data.valid.y):,}, test {len(data.test.y):,}; "
        f"{len(data.feature_names)} features"
    )

    def on_trial(trial: Trial) -> None:
        log_trial(trial)
        log(
            f"trial {trial.number}: loss {trial.loss:.5f} (valid AUC {trial.metrics['valid_roc_auc']:.4f}) "
            f"in {trial.seconds:.1f} s" + (f", {trial.rounds} rounds" if trial.rounds else "")
        )

    experiment_id = setup_tracking(cfg.registry)
    run_name = f"{cfg.model.name}-{cfg.resampling.name}-{cfg.tuning.name}"
    for stale in end_dead_runs(experiment_id):
        log(f"MLflow run {stale}: its process is gone, marked KILLED")
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=owner_tags()) as run:
        log_run_metadata(cfg, frames)
        del frames  # the split frames as read: only the matrices are needed from here on
        fitted = fit_model(cfg, data, on_trial)
        model = fitted.result.model
        mlflow.log_params({f"best.{k}": v for k, v in fitted.result.best.params.items()})
        pipeline = ScoringPipeline(
            inputs.preprocessor, inputs.imputer, model, fitted.calibrator, fitted.threshold
        )
        fitted.metrics["parity_max_abs_diff"] = check_parity(
            pipeline, inputs.raw_test, data.test.ids, fitted.probability["test"], cfg.dataset.id
        )
        curves = plot_data(cfg, data, fitted)
        importance = importance_of(cfg, data, model)
        log_figures(curves, fitted, importance, cfg)
        mlflow.log_metrics(flat_metrics(fitted.metrics))
        mlflow.log_metrics(flat_metrics({"tuning": fitted.timings}))
        example = inputs.raw_test.drop(columns=[cfg.dataset.target]).head(cfg.registry.input_example_rows)
        info = log_scoring_model(pipeline, example, cfg.registry)
        run_id = run.info.run_id
        test = fitted.metrics["test"]
        record = {
            "model_kind": cfg.model.kind.value,
            "run_name": run_name,
            "threshold": fitted.threshold,
            "test": {k: test[k] for k in ("roc_auc", "business_cost")},
        }  # no MLflow id or time: the same inputs give the same bytes (tracking.train_run)
        record["run_key"] = run_key({**record, "metrics": fitted.metrics, "trials": trial_rows(fitted)})
        mlflow.set_tags({RUN_KEY_TAG: record["run_key"], MODEL_URI_TAG: info.model_uri})

    write_outputs(Catalog(cfg.paths), fitted, record, curves, importance)
    oracle_text = f", oracle {test['oracle_roc_auc']:.4f}" if "oracle_roc_auc" in test else ""
    log(
        f"test ROC AUC {test['roc_auc']:.4f}{oracle_text}; threshold {fitted.threshold:.4f}, "
        f"cost/applicant {test['business_cost']:.4f}, Brier {test['brier']:.4f}; run {run_id}"
    )
    log(f"tuning: {fitted.timings['seconds']:.1f} s, {fitted.timings['seconds_per_trial']:.1f} s per trial")
    return {**fitted.metrics, "tuning": {**fitted.metrics["tuning"], **fitted.timings}}


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/train.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv, failure_note=None)
