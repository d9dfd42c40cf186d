"""Rebalancing of the training split only (stage `resample`).

The stage reads `features/train.parquet` and nothing else: validation, test and production rows cannot
reach it. Output (`paths.resample`): `train.parquet` (id, target, `sample_weight`, the features), an
optional fitted `imputer.joblib` and `resample.json`.

Rows kept from the training split keep their id; synthetic rows (SMOTE family) get negative ids, so they
can never be confused with an applicant. The SMOTE family needs complete rows: a median imputer, fitted
on the training split, runs first inside an imblearn Pipeline; the train stage then puts the same fitted
imputer in front of the model, so that every later row is imputed exactly as the training rows were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from imblearn.combine import SMOTETomek
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.impute import SimpleImputer

from credit_scoring.config.modelling import ResamplingConfig, ResamplingMethod
from credit_scoring.errors import ConfigError, InputDataError

WEIGHT_COLUMN = "sample_weight"
IMPUTING_METHODS = (ResamplingMethod.smote, ResamplingMethod.adasyn, ResamplingMethod.smote_tomek)


@dataclass(frozen=True)
class Resampled:
    """A resampled training split: the frame (id, target, weight, features) and the imputer it went through."""

    frame: pd.DataFrame
    imputer: SimpleImputer | None


def make_imputer(cfg: ResamplingConfig) -> SimpleImputer:
    """The imputer run before the SMOTE family (all-missing columns are kept, filled with 0)."""
    return SimpleImputer(strategy=cfg.impute.value, keep_empty_features=True)


def make_sampler(cfg: ResamplingConfig) -> Any:
    """The imblearn sampler of the method (None for none / class_weight)."""
    common = {"sampling_strategy": cfg.sampling_strategy, "random_state": cfg.seed, **cfg.options}
    method = cfg.method
    if method in (ResamplingMethod.none, ResamplingMethod.class_weight):
        return None
    if method is ResamplingMethod.random_under:
        return RandomUnderSampler(**common)
    if method is ResamplingMethod.smote:
        return SMOTE(k_neighbors=cfg.k_neighbors, **common)
    if method is ResamplingMethod.adasyn:
        return ADASYN(n_neighbors=cfg.k_neighbors, **common)
    if method is ResamplingMethod.smote_tomek:
        smote = SMOTE(
            k_neighbors=cfg.k_neighbors, sampling_strategy=cfg.sampling_strategy, random_state=cfg.seed
        )
        return SMOTETomek(smote=smote, **common)
    raise ConfigError(f"resampling.method {method} is not handled")  # pragma: no cover


def positive_weight(y: np.ndarray, ratio: float) -> float:
    """Weight of a positive row such that weighted positives / negatives == ratio."""
    pos, neg = int((y == 1).sum()), int((y == 0).sum())
    if pos == 0:
        raise InputDataError("the training split has no positive row: nothing to rebalance")
    return ratio * neg / pos


def _kept_ids(sampler: Any, ids: np.ndarray, n_out: int) -> np.ndarray:
    """Ids of the resampled rows: kept rows keep theirs, synthetic rows get -1, -2, ..."""
    if hasattr(sampler, "sample_indices_"):  # under-samplers: a subset of the input rows
        return ids[sampler.sample_indices_]
    if isinstance(sampler, SMOTETomek):  # SMOTE output (input rows first), then Tomek links removed
        n_smote = len(ids) + int(sum(sampler.smote_.sampling_strategy_.values()))
        smoted = np.concatenate([ids, -np.arange(1, n_smote - len(ids) + 1, dtype=ids.dtype)])
        return smoted[sampler.tomek_.sample_indices_]
    # over-samplers: the input rows, in order, then the synthetic ones
    return np.concatenate([ids, -np.arange(1, n_out - len(ids) + 1, dtype=ids.dtype)])


def resample(train: pd.DataFrame, id_col: str, target: str, cfg: ResamplingConfig) -> Resampled:
    """The resampled training split (a new frame; `train` is not modified).

    Output columns: id, target, `sample_weight` (1 except for class_weight positives), then the features
    in their input order; ids of synthetic rows are negative.
    """
    if WEIGHT_COLUMN in train.columns:
        raise InputDataError(f"the training split already has a column {WEIGHT_COLUMN!r}")
    features = [c for c in train.columns if c not in (id_col, target)]
    ids = train[id_col].to_numpy(dtype="int64")
    y = train[target].to_numpy(dtype="int64")
    X = train[features]
    method = cfg.method
    weights = np.ones(len(train))
    imputer: SimpleImputer | None = None
    if method in (ResamplingMethod.none, ResamplingMethod.class_weight):
        if method is ResamplingMethod.class_weight:
            weights = np.where(y == 1, positive_weight(y, cfg.sampling_strategy), 1.0)
        out_ids, out_y, out_X = ids, y, X.to_numpy()
    else:
        steps = [("sample", make_sampler(cfg))]
        if method in IMPUTING_METHODS:
            steps.insert(0, ("impute", make_imputer(cfg)))
        pipeline = ImbPipeline(steps)
        try:
            out_X, out_y = pipeline.fit_resample(X.to_numpy(), y)
        except (ValueError, RuntimeError) as exc:
            raise InputDataError(f"resampling with {method.value} failed: {exc}") from None
        out_ids = _kept_ids(pipeline.named_steps["sample"], ids, len(out_y))
        imputer = pipeline.named_steps.get("impute")
        reference = X.to_numpy() if imputer is None else imputer.transform(X.to_numpy())
        _check_kept_rows(out_X, out_ids, reference, ids)
        weights = np.ones(len(out_y))
    dtype = np.result_type(*train[features].dtypes) if features else np.float64
    frame = pd.DataFrame(np.asarray(out_X, dtype=dtype), columns=features)
    head = pd.DataFrame({id_col: out_ids, target: out_y.astype(train[target].dtype), WEIGHT_COLUMN: weights})
    return Resampled(frame=pd.concat([head, frame], axis=1), imputer=imputer)


def _check_kept_rows(out_X: np.ndarray, out_ids: np.ndarray, reference: np.ndarray, ids: np.ndarray) -> None:
    """Rows given a real id must be that applicant's (imputed) row: guards the id bookkeeping."""
    kept = out_ids >= 0
    rows = pd.Index(ids).get_indexer(out_ids[kept])
    if (rows < 0).any() or not np.allclose(out_X[kept], reference[rows], equal_nan=True):
        raise InputDataError(
            "resampling returned rows that do not match their ids: cannot track synthetic rows"
        )


def summary(
    before: pd.DataFrame, after: pd.DataFrame, id_col: str, target: str, cfg: ResamplingConfig
) -> dict:
    """Rows, positives and synthetic rows before and after."""

    def describe(frame: pd.DataFrame) -> dict[str, Any]:
        y = frame[target].to_numpy()
        return {
            "rows": len(frame),
            "positives": int((y == 1).sum()),
            "positive_rate": round(float(y.mean()), 6),
        }

    weights = after[WEIGHT_COLUMN].to_numpy()
    return {
        "method": cfg.method.value,
        "config": cfg.name,
        "before": describe(before),
        "after": describe(after),
        "synthetic_rows": int((after[id_col].to_numpy() < 0).sum()),
        "positive_weight": float(weights[after[target].to_numpy() == 1].max(initial=1.0)),
        "imputed": cfg.method in IMPUTING_METHODS,
    }
