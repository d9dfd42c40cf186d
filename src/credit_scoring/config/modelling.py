"""Schemas of the modelling groups of conf/: resampling, model, tuning, evaluation, registry.

Every group keeps the `name` of its option file. `options` (resampling, tuning) holds extra keyword arguments
passed through to the library (imblearn sampler, hyperopt.fmin); an option file may leave it empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import MISSING


# ---- resampling ---------------------------------------------------------------------------------------------
class ResamplingMethod(Enum):
    """How the training split is rebalanced (validation, test and production rows never are).

    none: unchanged; class_weight: unchanged rows, positives weighted; random_under: negatives dropped at random;
    smote, adasyn, smote_tomek: synthetic positives (after imputation, the imputer then becomes part of the
    model so that every later row is imputed the same way).
    """

    none = "none"
    class_weight = "class_weight"
    random_under = "random_under"
    smote = "smote"
    adasyn = "adasyn"
    smote_tomek = "smote_tomek"


class ImputeStrategy(Enum):
    """sklearn SimpleImputer strategies (numeric features only reach the resampler)."""

    median = "median"
    mean = "mean"
    most_frequent = "most_frequent"


@dataclass
class ResamplingConfig:
    """Rebalancing of the training split (stage `resample`).

    sampling_strategy: wanted minority / majority ratio after resampling (imblearn's float form); for
    class_weight, the positive weight is chosen so that weighted positives / negatives equals it.
    """

    name: str = MISSING
    method: ResamplingMethod = ResamplingMethod.none
    sampling_strategy: float = 1.0
    k_neighbors: int = 5  # SMOTE / ADASYN neighbours
    impute: ImputeStrategy = ImputeStrategy.median  # SMOTE family only
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)  # extra keyword arguments of the imblearn sampler


# ---- model --------------------------------------------------------------------------------------------------
class ModelKind(Enum):
    dummy = "dummy"  # class prior, the floor every model must beat
    logreg = "logreg"  # imputation + scaling + logistic regression (sklearn)
    lightgbm = "lightgbm"  # native lightgbm.train, early stopping on validation
    xgboost = "xgboost"  # native xgboost.train (hist), early stopping on validation
    scorecard = "scorecard"  # WoE scorecard (optbinning): optimal binning + logistic regression, in points


class Distribution(Enum):
    """Hyperopt distributions; bounds are given in the natural scale (log taken by the code)."""

    uniform = "uniform"
    loguniform = "loguniform"
    quniform = "quniform"
    qloguniform = "qloguniform"
    uniformint = "uniformint"
    choice = "choice"


class ParamType(Enum):
    """Python type a sampled value is cast to (quniform samples are floats)."""

    float = "float"
    int = "int"
    any = "any"  # choice: the option as written in the YAML


@dataclass
class SearchParam:
    """One hyperparameter of the search space: `distribution` over [low, high] (step q), or `options`."""

    distribution: Distribution = MISSING
    low: float | None = None
    high: float | None = None
    q: float | None = None
    options: list[Any] | None = None
    type: ParamType = ParamType.float


@dataclass
class ScorecardScaling:
    """Points of a scorecard (points to double the odds): `score` points at good:bad odds of `odds`, and
    every `pdo` more points double the odds."""

    score: float = MISSING
    odds: float = MISSING
    pdo: float = MISSING


@dataclass
class ModelConfig:
    """A model family: fixed `params`, the Hyperopt `search_space` over some of them, early stopping.

    params are the library's own names (lightgbm / xgboost native parameters, sklearn constructor arguments
    for logreg and dummy). Boosters train up to `max_rounds` rounds and stop after `early_stopping_rounds`
    rounds without improvement of `eval_metric` on the validation split.
    """

    name: str = MISSING
    kind: ModelKind = MISSING
    params: dict[str, Any] = field(default_factory=dict)
    dataset_params: dict[str, Any] = field(default_factory=dict)  # boosters: binning, built once per run
    search_space: dict[str, SearchParam] = field(default_factory=dict)
    max_rounds: int | None = None
    early_stopping_rounds: int | None = None
    eval_metric: str | None = None
    scaling: ScorecardScaling | None = None  # scorecard only: its points scale
    # at most this many folds per tuning trial (None: tuning.cv_folds; 0 or 1: the validation split), for a
    # kind whose every fit is costly (a scorecard re-bins every feature): see `trial_folds`
    max_cv_folds: int | None = None
    seed: int = 0


# ---- tuning -------------------------------------------------------------------------------------------------
class TuningAlgorithm(Enum):
    tpe = "tpe"
    random = "random"


class TuningObjective(Enum):
    """What a trial is judged on, always on the untouched validation split.

    roc_auc: loss = 1 - ROC AUC; business_cost: loss = the lowest business cost per applicant over all
    thresholds (the threshold is free, so calibration does not change it).
    """

    roc_auc = "roc_auc"
    business_cost = "business_cost"


@dataclass
class RayTuningConfig:
    """Ray Tune as the search's engine (tuning=ray): where the trials run and how many at once.

    The search is still Hyperopt's (Ray's HyperOptSearch), the objective the same function; trials x threads
    per trial never exceed the cores Ray has (threads_per_trial None: cores // max_concurrent).
    """

    address: str = MISSING  # "": a local Ray on this machine; "auto" or "ray://head:10001": a cluster
    num_cpus: int | None = None  # local Ray only: the cores it may use (None: all of this machine's)
    max_concurrent: int = MISSING  # trials running at once (Ray's ConcurrencyLimiter)
    threads_per_trial: int | None = None
    storage_path: str | None = None  # Ray's results folder (None: a temporary one); shared on a cluster
    # tries of ray.init: a local Ray's raylet must register within Ray's own fixed 30 s, missed on a loaded
    # machine (each failed try is shut down before the next)
    start_attempts: int = 1


@dataclass
class TuningConfig:
    """Hyperopt search over the model's search_space; max_evals 0 trains once with the fixed params.

    cv_folds: 0 or 1 judges a trial on the validation split; k > 1 on k stratified folds of train + valid
    (then the model is refitted on all of them, see credit_scoring.modelling.crossval).
    With `ray` set, the same search runs its trials on Ray Tune (modelling/tuning_ray.py).
    """

    name: str = MISSING
    max_evals: int = 0
    algorithm: TuningAlgorithm = TuningAlgorithm.tpe
    objective: TuningObjective = TuningObjective.roc_auc
    seed: int = 0
    no_progress_trials: int | None = None  # stop after this many trials without a better loss
    cv_folds: int = 0  # k > 1: k-fold cross-validation of train + valid as the objective
    start_from_fixed: bool = False  # the model's fixed params (conf/model) are the first trial
    options: dict[str, Any] = field(default_factory=dict)  # extra keyword arguments of hyperopt.fmin
    ray: RayTuningConfig | None = None  # None: trials one after another in this process (hyperopt.fmin)


def trial_folds(tuning: TuningConfig, model: ModelConfig) -> int:
    """The folds a tuning trial of `model` is judged on: `tuning.cv_folds`, capped by the model's
    `max_cv_folds`; 0 when the trials use the validation split (cv_folds 0 or 1)."""
    folds = tuning.cv_folds if model.max_cv_folds is None else min(tuning.cv_folds, model.max_cv_folds)
    return folds if folds > 1 else 0


# ---- evaluation ---------------------------------------------------------------------------------------------
class CalibrationMethod(Enum):
    """Probability calibration fitted on the validation split (resampling distorts probabilities)."""

    sigmoid = "sigmoid"  # Platt scaling on the logit of the score: monotone, ROC AUC unchanged
    isotonic = "isotonic"
    none = "none"


@dataclass
class CostConfig:
    """Business cost of one decision error: a missed default (FN) and a refused good client (FP)."""

    false_negative: float = MISSING
    false_positive: float = MISSING


@dataclass
class EvaluationConfig:
    """Calibration, decision threshold, metrics, plots and explanations of the trained model."""

    name: str = MISSING
    cost: CostConfig = MISSING
    calibration: CalibrationMethod = MISSING
    curve_points: int = MISSING  # points kept per ROC / PR curve written for DVC plots
    cost_curve_points: int = MISSING  # thresholds of the cost-against-threshold plot
    calibration_bins: int = MISSING  # quantile bins of the calibration plot
    shap_rows: int = MISSING  # test rows explained for the global SHAP importance
    shap_top: int = MISSING  # features shown in the SHAP plot
    parity_rows: int = MISSING  # test rows scored from raw rows at train time (parity with the features)
    seed: int = MISSING  # sampling of the SHAP rows
    oracle_probability: str = MISSING  # column of the oracle file with the true default probability


# ---- tracking and registry ----------------------------------------------------------------------------------
@dataclass
class RegistryConfig:
    """MLflow tracking and the champion gate (stage `register`).

    tracking_uri is used unless the MLFLOW_TRACKING_URI environment variable is set. A registered version
    takes `challenger_alias` only if its test ROC AUC is at least `min_test_roc_auc` and it beats the
    champion (re-scored on the same rows) beyond noise: the upper bound of the `confidence` interval of the
    paired bootstrap of the cost difference is below `cost_tolerance` (`modelling.gate`).
    """

    name: str = MISSING
    tracking_uri: str = MISSING
    artifact_location: str = MISSING  # root of the run artifacts of a new experiment (local path or URI)
    experiment: str = MISSING
    model_name: str = MISSING
    alias: str = MISSING
    min_test_roc_auc: float = MISSING
    cost_tolerance: float = MISSING
    # the explicit override that lets a challenger replace a champion it cannot be compared with (trained on
    # another dataset or feature schema, or unable to score the current rows); never on by default
    replace_incomparable: bool = MISSING
    # promotion: a version that passes the gate takes `challenger_alias`; `credit-scoring promote` moves
    # `alias` (approver != the training run's author when four_eyes); auto_promote moves it at register
    challenger_alias: str = MISSING
    auto_promote: bool = MISSING
    four_eyes: bool = MISSING
    # the gate's paired bootstrap (challenger vs champion on the same test rows)
    confidence: float = MISSING
    bootstrap_resamples: int = MISSING
    bootstrap_seed: int = MISSING
    input_example_rows: int = MISSING
    log_datasets: bool = MISSING
    # the registry-side lock of the aliases (`tracking.registry_lock`): register and promote hold it while
    # they read the champion and move the aliases; a waiter polls, takes a lock older than lock_stale_seconds
    # as left by a killed mover, and gives up after lock_wait_seconds
    lock_poll_seconds: float = MISSING
    lock_stale_seconds: float = MISSING
    lock_wait_seconds: float = MISSING
    # distributions pinned at their installed version in the logged model
    pip_requirements: list[str] = field(default_factory=list)
