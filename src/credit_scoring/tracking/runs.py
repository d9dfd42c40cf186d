"""What a training run records in MLflow: tags (git commit, DVC data version), the resolved configuration,
the settings as params, the input datasets, trials as nested runs, figures."""

from __future__ import annotations

import os
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.pandas_dataset import PandasDataset
from mlflow.types.schema import ColSpec, Schema
from mlflow.types.utils import _infer_pandas_column
from omegaconf import OmegaConf

from credit_scoring.config import Config
from credit_scoring.modelling.evaluation import (
    calibration_figure,
    cost_figure,
    importance_figure,
    pr_figure,
    roc_figure,
)
from credit_scoring.modelling.training import Fitted
from credit_scoring.modelling.tuning import Trial
from credit_scoring.tracking.provenance import dvc_data_hash, file_md5, flat_params, git_commit
from credit_scoring.tracking.stale import owner_tags

ENV_DVC_EXP = "DVC_EXP_NAME"  # set by `dvc exp run`
DIGEST_CHARS = 8  # length of MLflow's dataset digests
POINTS_TABLE_ARTIFACT = "scorecard/points_table.csv"  # a scorecard's points table in the training run
Frames = dict[str, tuple[pd.DataFrame, Path]]  # MLflow dataset context -> (frame, source file)


def log_figure(fig: Any, artifact_file: str) -> None:
    """Log a matplotlib figure as an image and release it."""
    import matplotlib.pyplot as plt

    mlflow.log_figure(fig, artifact_file)
    plt.close(fig)


def log_trial(trial: Trial) -> None:
    with mlflow.start_run(run_name=f"trial-{trial.number:03d}", nested=True, tags=owner_tags()):
        mlflow.log_params(trial.params or {"fixed_params": True})
        mlflow.log_metrics({**trial.metrics, "loss": trial.loss, "seconds": trial.seconds})
        if trial.rounds is not None:
            mlflow.log_metric("rounds", trial.rounds)


class FrameDataset(PandasDataset):
    """MLflow's PandasDataset with the same schema found column by column: the types from the dtypes, and a
    column required when it has no missing value, tested in one vectorised pass. MLflow's own inference
    tests every cell in Python (about 60 million calls at full scale: a minute of the train stage)."""

    @cached_property
    def schema(self) -> Schema:
        frame = self.df
        missing = frame.isna().any()
        return Schema(
            [
                ColSpec(type=_infer_pandas_column(frame[c]), name=str(c), required=not bool(missing[c]))
                for c in frame.columns
            ]
        )


def log_inputs(frames: Frames, target: str) -> None:
    """Log each split as an MLflow dataset (digest, schema, source path).

    The digest is the md5 of the Parquet file the split was read from: MLflow's own digest maps `type` over
    every cell of the frame, which at full scale costs gigabytes and minutes; the schema is `FrameDataset`'s.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MLflow's notes on integer columns and source kinds
        for context, (frame, source) in frames.items():
            dataset = FrameDataset(
                df=frame,
                source=resolve_dataset_source(str(source)),
                targets=target,
                name=context,
                digest=file_md5(source)[:DIGEST_CHARS],
            )
            mlflow.log_input(dataset, context=context)


def log_run_metadata(cfg: Config, frames: Frames) -> None:
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
        log_inputs(frames, cfg.dataset.target)


def log_figures(curves: dict, fitted: Fitted, importance: pd.Series | None, cfg: Config) -> None:
    log_figure(roc_figure(curves["roc"]), "plots/roc.png")
    log_figure(pr_figure(curves["pr"]), "plots/precision_recall.png")
    log_figure(calibration_figure(curves["calibration"]), "plots/calibration.png")
    log_figure(cost_figure(curves["cost"]["both"], fitted.threshold), "plots/cost.png")
    points = fitted.result.model.points_table()
    if importance is not None:
        # trees and the scorecard (an additive model: mean |part - mean part|) give mean |SHAP value|
        shap = fitted.result.model.rounds is not None or points is not None
        title = "Global SHAP importance (test rows)" if shap else "|standardised coefficient|"
        log_figure(importance_figure(importance, cfg.evaluation.shap_top, title), "plots/importance.png")
        mlflow.log_table(importance.rename_axis("feature").reset_index(), "importance.json")
    mlflow.log_dict(fitted.calibrator.describe(), "calibration.json")
    if points is not None:  # a scorecard: variable, bin, woe, iv, points
        mlflow.log_text(points.to_csv(index=False), POINTS_TABLE_ARTIFACT)
