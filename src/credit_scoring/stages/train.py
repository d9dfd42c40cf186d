"""Stage `train`: Hyperopt-tuned model, calibration, business-cost threshold, evaluation, MLflow run.

Reads the resampled training split (`paths.resample`), the untouched validation and test splits
(`paths.features`), and the raw applicant rows (ingest + merge + split) that the logged pyfunc model is
fitted and checked on. Writes `paths.train`: metrics.json (DVC metrics, grouped by split), plots/*.csv
(DVC plots), trials.csv, importance.csv and run.json (the MLflow run and model the register stage reads).

Order of operations on the validation split: early stopping and the Hyperopt objective (raw scores), then
the calibrator is fitted, then the threshold minimising the business cost of calibrated probabilities is
chosen. The test split is only scored, once, at the end.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import mlflow
import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from credit_scoring.modelling.calibration import Calibrator
from credit_scoring.modelling.costs import optimal_threshold
from credit_scoring.errors import InputDataError
from credit_scoring.modelling.evaluation import (
    calibration_figure,
    calibration_points,
    classification_metrics,
    cost_figure,
    cost_points,
    importance_figure,
    load_oracle,
    oracle_metrics,
    pr_figure,
    pr_points,
    roc_figure,
    roc_points,
)
from credit_scoring.scoring.pipeline import (
    ApplicantPreprocessor,
    ScoringPipeline,
    part_application_rows,
    side_feature_names,
    split_rows,
)
from credit_scoring.io.atomic import atomic_dir, write_json
from credit_scoring.config.modelling_loader import ModellingConfig
from credit_scoring.modelling.models import MATRIX_DTYPE, FittedModel, TrainingData, global_importance, make_trainer
from credit_scoring.modelling.resampling import IMPUTER_FILE, TRAIN_FILE, WEIGHT_COLUMN
from credit_scoring.tracking.store import (
    dvc_data_hash,
    flat_params,
    git_commit,
    log_figure,
    log_scoring_model,
    setup_tracking,
    tracking_uri,
)
from credit_scoring.modelling.tuning import Trial, TuningResult, tune

METRICS_FILE = "metrics.json"
RUN_FILE = "run.json"
TRIALS_FILE = "trials.csv"
IMPORTANCE_FILE = "importance.csv"
PLOTS_DIR = "plots"
PLOT_FILES = {
    "roc": "roc.csv",
    "pr": "precision_recall.csv",
    "calibration": "calibration.csv",
    "cost": "cost.csv",
}
PARITY_TOLERANCE = 1e-6  # max |probability difference| between raw-row scoring and the features tables
ENV_DVC_EXP = "DVC_EXP_NAME"  # set by `dvc exp run`
DIGEST_CHARS = 8  # length of MLflow's dataset digests
READ_CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class SplitData:
    """One split as the model sees it: ids, outcomes, float32 matrix (imputed when the model needs it)."""

    ids: np.ndarray
    y: np.ndarray
    X: np.ndarray


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a run reads: the splits as matrices, the preprocessing, the raw test rows, the oracle."""

    train: SplitData
    valid: SplitData
    test: SplitData
    weights: np.ndarray | None
    feature_names: list[str]
    imputer: Any
    preprocessor: ApplicantPreprocessor
    raw_test: pd.DataFrame
    oracle: pd.DataFrame | None


@dataclasses.dataclass(frozen=True)
class Fitted:
    """The tuned model, its calibration and threshold, the scores and metrics of valid and test."""

    result: TuningResult
    calibrator: Calibrator
    threshold: float
    probability: dict[str, np.ndarray]
    metrics: dict[str, Any]


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputDataError(f"{path}: not found (run the earlier stages first)")
    return pd.read_parquet(path)


def file_md5(path: Path) -> str:
    """md5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(READ_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_imputer(resample_dir: Path) -> Any:
    """The imputer the resample stage fitted (SMOTE family), or None."""
    path = resample_dir / IMPUTER_FILE
    return joblib.load(path) if path.is_file() else None


def split_data(frame: pd.DataFrame, features: list[str], id_col: str, target: str, imputer: Any) -> SplitData:
    X = frame[features].to_numpy(dtype=MATRIX_DTYPE, na_value=np.nan)
    if imputer is not None:
        X = imputer.transform(X).astype(MATRIX_DTYPE)
    return SplitData(frame[id_col].to_numpy(), frame[target].to_numpy(dtype="int64"), X)


def fit_preprocessor(cfg: ModellingConfig, feature_names: list[str]) -> ApplicantPreprocessor:
    """Preprocessing of raw rows, fitted on the training rows' application columns (the encoder reads no side
    feature); it must rebuild the features stage's columns."""
    ds, paths = cfg.dataset, cfg.paths
    app_train = part_application_rows(paths.ingest, paths.split, ds, "train")
    side_columns = side_feature_names(paths.merge, cfg.features, ds.id)
    pre = ApplicantPreprocessor(ds, cfg.features).fit(app_train, side_columns=side_columns)
    if pre.feature_names_out_ != feature_names:
        extra = sorted(set(pre.feature_names_out_) ^ set(feature_names))[:10]
        raise InputDataError(
            "the inference preprocessing does not rebuild the features stage's columns "
            f"(differences: {extra or 'column order'}): rerun the features stage"
        )
    return pre


Frames = dict[str, tuple[pd.DataFrame, Path]]  # MLflow dataset context -> (frame, source file)


def load_inputs(cfg: ModellingConfig) -> tuple[Inputs, Frames]:
    """Resampled training split, untouched validation and test splits, raw rows and preprocessing; and the
    split frames as read, for MLflow's dataset logging (drop them after: the matrices are all a run needs)."""
    ds, paths = cfg.dataset, cfg.paths
    resample_dir, features_dir = Path(paths.resample), Path(paths.features)
    train = _read(resample_dir / TRAIN_FILE)
    valid, test = _read(features_dir / "valid.parquet"), _read(features_dir / "test.parquet")
    names = [c for c in valid.columns if c not in (ds.id, ds.target)]
    missing = sorted(set(names) - set(train.columns))
    if missing:
        raise InputDataError(f"the resampled training split lacks features {missing[:10]}: rerun resample")
    imputer = load_imputer(resample_dir)
    frames = {
        "training": (train, resample_dir / TRAIN_FILE),
        "validation": (valid, features_dir / "valid.parquet"),
        "test": (test, features_dir / "test.parquet"),
    }
    inputs = Inputs(
        train=split_data(train, names, ds.id, ds.target, None),  # imputed by the resample stage if needed
        valid=split_data(valid, names, ds.id, ds.target, imputer),
        test=split_data(test, names, ds.id, ds.target, imputer),
        weights=train[WEIGHT_COLUMN].to_numpy(dtype="float64") if WEIGHT_COLUMN in train.columns else None,
        feature_names=names,
        imputer=imputer,
        preprocessor=fit_preprocessor(cfg, names),
        raw_test=split_rows(paths.ingest, paths.split, paths.merge, ds, cfg.features, "test"),
        oracle=load_oracle(paths.oracle, ds.id, cfg.evaluation.oracle_probability),
    )
    return inputs, frames


def check_parity(pipeline: ScoringPipeline, raw: pd.DataFrame, expected: np.ndarray) -> float:
    """Largest |difference| between scoring raw rows and the in-process probabilities; raises if too large."""
    got = pipeline.predict(raw)["probability"].to_numpy()
    gap = float(np.max(np.abs(got - expected))) if len(got) else 0.0
    if gap > PARITY_TOLERANCE:
        raise InputDataError(
            f"scoring raw applicant rows differs from the features tables by up to {gap:.2e}: "
            "the features stage and the inference preprocessing disagree (rerun the features stage)"
        )
    return gap


def evaluate_split(
    data: SplitData, raw_score: np.ndarray, p: np.ndarray, threshold: float, cfg: ModellingConfig, oracle: Any
) -> dict[str, Any]:
    """Metrics of one split, with the oracle's ROC AUC and cost on the same rows when there is an oracle."""
    ds, ev = cfg.dataset, cfg.evaluation
    out: dict[str, Any] = classification_metrics(data.y, p, threshold, ev.cost)
    out["brier_uncalibrated"] = float(np.mean((raw_score - data.y) ** 2))
    truth = oracle_metrics(data.ids, data.y, oracle, ds.id, ds.target, ev.oracle_probability, ev.cost)
    if truth is not None:
        out.update(truth)
        out["roc_auc_vs_oracle"] = out["roc_auc"] / truth["oracle_roc_auc"]
    return out


def fit_model(cfg: ModellingConfig, inputs: Inputs, on_trial: Callable[[Trial], None]) -> Fitted:
    """Tune on validation (raw scores), calibrate on validation, choose the threshold on calibrated
    validation probabilities, then score the test split once."""
    ev = cfg.evaluation
    va, te = inputs.valid, inputs.test
    data = TrainingData(inputs.train.X, inputs.train.y, inputs.weights, va.X, va.y, inputs.feature_names)
    start = time.perf_counter()
    trainer = make_trainer(cfg.model, data, cfg.runtime.threads)
    build_seconds = time.perf_counter() - start
    result = tune(trainer, cfg.model.search_space, cfg.tuning, va.X, va.y, ev.cost, on_trial)
    raw = {name: result.model.predict_score(d.X) for name, d in (("valid", va), ("test", te))}
    calibrator = Calibrator(ev.calibration).fit(raw["valid"], va.y)
    prob = {name: calibrator.transform(score) for name, score in raw.items()}
    choice = optimal_threshold(va.y, prob["valid"], ev.cost)
    metrics: dict[str, Any] = {"threshold": choice.threshold}
    for name, d in (("valid", va), ("test", te)):
        metrics[name] = evaluate_split(d, raw[name], prob[name], choice.threshold, cfg, inputs.oracle)
    metrics["tuning"] = {
        "trials": len(result.trials),
        "best_trial": result.best.number,
        "best_valid_loss": result.best.loss,
        "seconds": round(time.perf_counter() - start, 1),
        "build_seconds": round(build_seconds, 2),  # binning of the training data, once per run
        "seconds_per_trial": round(float(np.mean([t.seconds for t in result.trials])), 2),
        "rounds": result.best.rounds or 0,
    }
    return Fitted(result, calibrator, choice.threshold, prob, metrics)


def plot_data(cfg: ModellingConfig, inputs: Inputs, fitted: Fitted) -> dict[str, dict[str, pd.DataFrame]]:
    """Curves of validation and test: ROC, precision-recall, calibration; cost against threshold."""
    ev, p = cfg.evaluation, fitted.probability
    splits = (("valid", inputs.valid), ("test", inputs.test))
    return {
        "roc": {n: roc_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "pr": {n: pr_points(d.y, p[n], ev.curve_points) for n, d in splits},
        "calibration": {n: calibration_points(d.y, p[n], ev.calibration_bins) for n, d in splits},
        "cost": {
            "both": cost_points(
                inputs.valid.y, p["valid"], inputs.test.y, p["test"], ev.cost_curve_points, ev.cost
            )
        },
    }


def importance_of(cfg: ModellingConfig, inputs: Inputs, model: FittedModel) -> pd.Series | None:
    """Global importance on a seeded sample of test rows (SHAP for trees, coefficients for logreg)."""
    ev = cfg.evaluation
    rng = np.random.default_rng(ev.seed)
    rows = np.sort(rng.choice(len(inputs.test.y), size=min(ev.shap_rows, len(inputs.test.y)), replace=False))
    return global_importance(model, inputs.test.X[rows], inputs.feature_names)


def _log_trial(trial: Trial) -> None:
    with mlflow.start_run(run_name=f"trial-{trial.number:03d}", nested=True):
        mlflow.log_params(trial.params or {"fixed_params": True})
        mlflow.log_metrics({**trial.metrics, "loss": trial.loss, "seconds": trial.seconds})
        if trial.rounds is not None:
            mlflow.log_metric("rounds", trial.rounds)


def _log_inputs(frames: Frames, target: str) -> None:
    """Log each split as an MLflow dataset (digest, schema, source path).

    The digest is the md5 of the Parquet file the split was read from: MLflow's own digest maps `type` over
    every cell of the frame, which at full scale costs gigabytes and minutes.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MLflow's notes on integer columns and source kinds
        for context, (frame, source) in frames.items():
            dataset = mlflow.data.from_pandas(
                frame,
                source=str(source),
                targets=target,
                name=context,
                digest=file_md5(source)[:DIGEST_CHARS],
            )
            mlflow.log_input(dataset, context=context)


def _log_run_metadata(cfg: ModellingConfig, frames: Frames) -> None:
    """Tags (git commit, DVC data hash, ...), the resolved config, the group settings as params, datasets."""
    commit, dirty = git_commit()
    mlflow.set_tags(
        {
            "git_commit": commit,
            "git_dirty": str(dirty),
            "data_dvc_md5": dvc_data_hash(cfg.paths.data_dvc),
            "model_kind": cfg.model.kind.value,
            "resampling": cfg.resampling.method.value,
            "tuning_objective": cfg.tuning.objective.value,
            **({"dvc_exp": os.environ[ENV_DVC_EXP]} if os.environ.get(ENV_DVC_EXP) else {}),
        }
    )
    container = OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True, enum_to_str=True)
    mlflow.log_dict(container, "config.yaml")
    mlflow.log_params(flat_params({k: container[k] for k in ("resampling", "model", "tuning", "evaluation")}))
    if cfg.registry.log_datasets:
        _log_inputs(frames, cfg.dataset.target)


def _log_figures(curves: dict, fitted: Fitted, importance: pd.Series | None, cfg: ModellingConfig) -> None:
    log_figure(roc_figure(curves["roc"]), "plots/roc.png")
    log_figure(pr_figure(curves["pr"]), "plots/precision_recall.png")
    log_figure(calibration_figure(curves["calibration"]), "plots/calibration.png")
    log_figure(cost_figure(curves["cost"]["both"], fitted.threshold), "plots/cost.png")
    if importance is not None:
        trees = fitted.result.model.rounds is not None
        title = "Global SHAP importance (test rows)" if trees else "|standardised coefficient|"
        log_figure(importance_figure(importance, cfg.evaluation.shap_top, title), "plots/importance.png")
        mlflow.log_table(importance.rename_axis("feature").reset_index(), "importance.json")
    mlflow.log_dict(fitted.calibrator.describe(), "calibration.json")


def write_outputs(
    out_dir: Path, fitted: Fitted, record: dict, curves: dict, importance: pd.Series | None
) -> None:
    """paths.train: metrics.json, run.json, trials.csv, importance.csv, plots/*.csv (test split curves)."""
    trials = pd.DataFrame(
        [
            {
                "trial": t.number,
                "loss": t.loss,
                "seconds": t.seconds,
                "rounds": t.rounds,
                **t.metrics,
                **t.params,
            }
            for t in fitted.result.trials
        ]
    )
    if importance is None:
        importance = pd.Series(dtype="float64", name="importance")
    with atomic_dir(out_dir) as staging:
        write_json(fitted.metrics, staging / METRICS_FILE)
        write_json(record, staging / RUN_FILE)
        trials.to_csv(staging / TRIALS_FILE, index=False)
        importance.rename_axis("feature").reset_index().to_csv(staging / IMPORTANCE_FILE, index=False)
        (staging / PLOTS_DIR).mkdir()
        for name in ("roc", "pr", "calibration"):
            curves[name]["test"].to_csv(staging / PLOTS_DIR / PLOT_FILES[name], index=False)
        curves["cost"]["both"].to_csv(staging / PLOTS_DIR / PLOT_FILES["cost"], index=False)


def train_stage(cfg: ModellingConfig, log=print) -> dict[str, Any]:
    """Run the stage; returns the content of metrics.json."""
    inputs, frames = load_inputs(cfg)
    log(
        f"train {len(inputs.train.y):,} rows, valid {len(inputs.valid.y):,}, test {len(inputs.test.y):,}; "
        f"{len(inputs.feature_names)} features"
    )

    def on_trial(trial: Trial) -> None:
        _log_trial(trial)
        log(
            f"trial {trial.number}: loss {trial.loss:.5f} (valid AUC {trial.metrics['valid_roc_auc']:.4f}) "
            f"in {trial.seconds:.1f} s" + (f", {trial.rounds} rounds" if trial.rounds else "")
        )

    experiment_id = setup_tracking(cfg.registry)
    run_name = f"{cfg.model.name}-{cfg.resampling.name}-{cfg.tuning.name}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
        _log_run_metadata(cfg, frames)
        del frames  # the split frames as read: only the matrices are needed from here on
        fitted = fit_model(cfg, inputs, on_trial)
        model = fitted.result.model
        mlflow.log_params({f"best.{k}": v for k, v in fitted.result.best.params.items()})
        pipeline = ScoringPipeline(
            inputs.preprocessor, inputs.imputer, model, fitted.calibrator, fitted.threshold
        )
        fitted.metrics["parity_max_abs_diff"] = check_parity(
            pipeline, inputs.raw_test, fitted.probability["test"]
        )
        curves = plot_data(cfg, inputs, fitted)
        importance = importance_of(cfg, inputs, model)
        _log_figures(curves, fitted, importance, cfg)
        mlflow.log_metrics(_flat_metrics(fitted.metrics))
        example = inputs.raw_test.drop(columns=[cfg.dataset.target]).head(cfg.registry.input_example_rows)
        info = log_scoring_model(pipeline, example, cfg.registry)
        run_id = run.info.run_id

    test = fitted.metrics["test"]
    record = {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "tracking_uri": tracking_uri(cfg.registry),
        "model_uri": info.model_uri,
        "model_kind": cfg.model.kind.value,
        "run_name": run_name,
        "threshold": fitted.threshold,
        "test": {k: test[k] for k in ("roc_auc", "business_cost")},
    }
    write_outputs(Path(cfg.paths.train), fitted, record, curves, importance)
    oracle_text = f", oracle {test['oracle_roc_auc']:.4f}" if "oracle_roc_auc" in test else ""
    log(
        f"test ROC AUC {test['roc_auc']:.4f}{oracle_text}; threshold {fitted.threshold:.4f}, "
        f"cost/applicant {test['business_cost']:.4f}, Brier {test['brier']:.4f}; run {run_id}"
    )
    return fitted.metrics


def _flat_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """{'test_roc_auc': ...}: the nested metrics as MLflow metric names."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update({f"{key}_{k}": float(v) for k, v in value.items() if isinstance(v, (int, float))})
        elif isinstance(value, (int, float)):
            out[key] = float(value)
    return out
