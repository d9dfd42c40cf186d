"""Hyperopt search over a model's search_space, each trial judged by ONE objective function.

The search space is written in conf/model/*.yaml with real types (bounds in the natural scale, log taken
here). The objective (`Objective`: params -> `Evaluated`) is what every search algorithm calls:
- `split_objective`: fit on the training split (the trainer's binned data is reused), score the untouched
  validation rows; the best trial's fitted model is kept, nothing is refitted after the search;
- `credit_scoring.modelling.crossval.cv_objective` (`tuning.cv_folds` > 1): k folds of train + valid, the
  loss averaged over folds, out-of-fold scores kept; the caller refits on all rows after the search.
The loss is 1 - ROC AUC or the lowest business cost per applicant over thresholds. `on_trial` receives
every trial as it ends (the train stage logs it as a nested MLflow run).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, rand, space_eval, tpe
from hyperopt.early_stop import no_progress_loss
from hyperopt.fmin import generate_trials_to_calculate
from sklearn.metrics import roc_auc_score

from credit_scoring.config.modelling import (
    CostConfig,
    Distribution,
    ParamType,
    SearchParam,
    TuningAlgorithm,
    TuningConfig,
    TuningObjective,
)
from credit_scoring.errors import ConfigError
from credit_scoring.modelling.costs import optimal_threshold
from credit_scoring.modelling.models import FittedModel, Trainer

ALGORITHMS = {TuningAlgorithm.tpe: tpe.suggest, TuningAlgorithm.random: rand.suggest}


@dataclass(frozen=True)
class Trial:
    """One fitted configuration and how it did on the validation split."""

    number: int
    params: dict[str, Any]
    loss: float
    metrics: dict[str, float]
    seconds: float
    rounds: int | None


@dataclass
class TuningResult:
    """The best trial, its fitted model (None until refitted for cross-validation), every trial, and the
    best trial's out-of-fold scores (cross-validation only)."""

    best: Trial
    model: FittedModel | None
    trials: list[Trial] = field(default_factory=list)
    oof_scores: np.ndarray | None = None


@dataclass(frozen=True)
class Evaluated:
    """What the objective returns for one set of params: its loss and metrics, the fitted model (single
    split) or the out-of-fold scores (cross-validation), the boosting rounds to use."""

    loss: float
    metrics: dict[str, float]
    model: FittedModel | None
    rounds: int | None
    oof_scores: np.ndarray | None = None


Objective = Callable[[dict[str, Any]], Evaluated]
ObjectiveFactory = Callable[[int], Objective]  # threads -> the objective, built in the calling process


def hyperopt_space(space: dict[str, SearchParam]) -> dict[str, Any]:
    """The Hyperopt expression of each parameter."""
    out: dict[str, Any] = {}
    for name, p in space.items():
        d = p.distribution
        if d is Distribution.choice:
            if not p.options:
                raise ConfigError(f"search_space.{name}: choice needs options")
            out[name] = hp.choice(name, list(p.options))
        elif d is Distribution.uniform:
            out[name] = hp.uniform(name, p.low, p.high)
        elif d is Distribution.loguniform:
            out[name] = hp.loguniform(name, math.log(p.low), math.log(p.high))
        elif d is Distribution.quniform:
            out[name] = hp.quniform(name, p.low, p.high, _step(name, p))
        elif d is Distribution.qloguniform:
            out[name] = hp.qloguniform(name, math.log(p.low), math.log(p.high), _step(name, p))
        elif d is Distribution.uniformint:
            out[name] = hp.uniformint(name, p.low, p.high)
        else:  # pragma: no cover
            raise ConfigError(f"search_space.{name}: distribution {d} is not handled")
    return out


def _step(name: str, p: SearchParam) -> float:
    if p.q is None or p.q <= 0:
        raise ConfigError(f"search_space.{name}: {p.distribution.value} needs a positive q")
    return p.q


def cast_params(sampled: dict[str, Any], space: dict[str, SearchParam]) -> dict[str, Any]:
    """Sampled values with the declared types (quniform gives floats such as 16.0)."""
    out = {}
    for name, value in sampled.items():
        kind = space[name].type if name in space else ParamType.any
        if kind is ParamType.int:
            out[name] = int(round(value))
        elif kind is ParamType.float:
            out[name] = float(value)
        else:
            out[name] = value.item() if isinstance(value, np.generic) else value
    return out


def validation_loss(
    objective: TuningObjective, y: np.ndarray, score: np.ndarray, cost: CostConfig
) -> tuple[float, dict[str, float]]:
    """(loss, metrics) of validation scores: both metrics are always computed, the objective picks the loss."""
    auc = float(roc_auc_score(y, score))
    best_cost = optimal_threshold(y, score, cost).cost
    metrics = {"valid_roc_auc": auc, "valid_min_business_cost": best_cost}
    loss = 1.0 - auc if objective is TuningObjective.roc_auc else best_cost
    return loss, metrics


def split_objective(
    trainer: Trainer, X_valid: np.ndarray, y_valid: np.ndarray, objective: TuningObjective, cost: CostConfig
) -> Objective:
    """The objective of one validation split: fit on the training split, score the validation rows."""

    def evaluate(params: dict[str, Any]) -> Evaluated:
        model = trainer.fit(params)
        loss, metrics = validation_loss(objective, y_valid, model.predict_score(X_valid), cost)
        return Evaluated(loss, metrics, model, model.rounds)

    return evaluate


def rebuilt_split_objective(
    rebuild: Callable[[int], Trainer],
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    objective: TuningObjective,
    cost: CostConfig,
    threads: int,
) -> Objective:
    """`split_objective` over a trainer built in this process with `threads` threads (a Ray trial's own:
    the binned data cannot be pickled); bound with functools.partial, it is an `ObjectiveFactory`."""
    return split_objective(rebuild(threads), X_valid, y_valid, objective, cost)


def tune(
    trainer: Trainer,
    space: dict[str, SearchParam],
    cfg: TuningConfig,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    cost: CostConfig,
    on_trial: Callable[[Trial], None] | None = None,
    rebuild: Callable[[int], Trainer] | None = None,
) -> TuningResult:
    """Search with the objective of one validation split and keep the best model (`rebuild(threads)`,
    picklable, builds the trainer in a Ray trial's process with tuning=ray)."""
    factory = None
    if rebuild is not None:
        factory = functools.partial(rebuilt_split_objective, rebuild, X_valid, y_valid, cfg.objective, cost)
    objective = split_objective(trainer, X_valid, y_valid, cfg.objective, cost)
    return search(objective, space, cfg, on_trial, factory=factory)


def fixed_point(space: dict[str, SearchParam], fixed: dict[str, Any]) -> dict[str, Any] | None:
    """The model's fixed params as a Hyperopt point of `space` (a choice by its index); None when a searched
    parameter has no fixed value (or one outside its options)."""
    point: dict[str, Any] = {}
    for name, p in space.items():
        if name not in fixed:
            return None
        value = fixed[name]
        if p.distribution is Distribution.choice:
            if value not in (p.options or []):
                return None
            value = list(p.options or []).index(value)
        point[name] = value
    return point


def search(
    objective_fn: Objective,
    space: dict[str, SearchParam],
    cfg: TuningConfig,
    on_trial: Callable[[Trial], None] | None = None,
    fixed: dict[str, Any] | None = None,
    factory: ObjectiveFactory | None = None,
) -> TuningResult:
    """Run the search (or one evaluation of the fixed params when max_evals is 0); keep the best trial.
    With `tuning.start_from_fixed`, the model's `fixed` params are the first trial. With `tuning.ray`, the
    trials run on Ray Tune (modelling/tuning_ray.py), each trial process building the same objective with
    `factory(threads)`; the best params are evaluated once more here with `objective_fn`."""
    if cfg.ray is not None and cfg.max_evals > 0:
        from credit_scoring.modelling.tuning_ray import search_ray

        if factory is None:
            raise ConfigError("tuning.ray: this objective cannot be rebuilt in Ray's trial processes")
        return search_ray(objective_fn, factory, space, cfg, on_trial, fixed)
    trials: list[Trial] = []
    best: dict[str, Any] = {}

    def evaluate(params: dict[str, Any]) -> Trial:
        start = time.perf_counter()
        outcome = objective_fn(params)
        trial = Trial(
            len(trials), params, outcome.loss, outcome.metrics, time.perf_counter() - start, outcome.rounds
        )
        trials.append(trial)
        if not best or outcome.loss < best["trial"].loss:
            best.update(trial=trial, outcome=outcome)
        if on_trial is not None:
            on_trial(trial)
        return trial

    start = fixed_point(space, fixed or {}) if cfg.start_from_fixed and cfg.max_evals > 0 else None

    def objective(sampled: dict[str, Any]) -> dict[str, Any]:
        return {"loss": evaluate(cast_params(sampled, space)).loss, "status": STATUS_OK}

    if cfg.max_evals == 0:
        evaluate({})
    elif start is not None and cfg.max_evals == 1:  # hyperopt would evaluate nothing (max_evals 0 below)
        objective(space_eval(hyperopt_space(space), start))  # choices: from their index to their value
    else:
        fmin(
            objective,
            hyperopt_space(space),
            algo=ALGORITHMS[cfg.algorithm],
            max_evals=cfg.max_evals - (1 if start else 0),  # hyperopt adds the start point to them
            trials=generate_trials_to_calculate([start]) if start else Trials(),
            rstate=np.random.default_rng(cfg.seed),
            early_stop_fn=no_progress_loss(cfg.no_progress_trials) if cfg.no_progress_trials else None,
            show_progressbar=False,
            **cfg.options,
        )
    outcome: Evaluated = best["outcome"]
    return TuningResult(best["trial"], outcome.model, trials, outcome.oof_scores)
