"""Hyperopt search over a model's search_space, each trial judged on the untouched validation split.

The search space is written in conf/model/*.yaml with real types (bounds in the natural scale, log taken
here). A trial fits the model with the sampled parameters (the trainer's binned data is reused) and scores
the validation rows; the loss is 1 - ROC AUC or the lowest business cost per applicant over thresholds.
The best trial's fitted model is kept, so nothing is refitted after the search. `on_trial` receives every
trial as it ends (the train stage logs it as a nested MLflow run).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hyperopt import STATUS_OK, Trials, fmin, hp, rand, tpe
from hyperopt.early_stop import no_progress_loss
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
    best: Trial
    model: FittedModel
    trials: list[Trial] = field(default_factory=list)


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


def trial_loss(
    trainer: Trainer,
    params: dict[str, Any],
    objective: TuningObjective,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    cost: CostConfig,
) -> tuple[FittedModel, float, dict[str, float]]:
    """The objective of every search (hyperopt here, Ray Tune in tuning_ray): (model, loss, metrics) of one
    fit with `params`."""
    model = trainer.fit(params)
    loss, metrics = validation_loss(objective, y_valid, model.predict_score(X_valid), cost)
    return model, loss, metrics


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
    """Run the search (or one fit with the fixed params when max_evals is 0) and keep the best model.

    With `cfg.ray`, the trials run on Ray Tune; `rebuild(threads)` (picklable) builds the trainer in a trial's
    own process.
    """
    if cfg.ray is not None and cfg.max_evals > 0:
        from credit_scoring.modelling.tuning_ray import tune_ray

        if rebuild is None:
            raise ConfigError("tuning.ray: the trainer cannot be rebuilt in Ray's worker processes")
        return tune_ray(trainer, rebuild, space, cfg, X_valid, y_valid, cost, on_trial)
    trials: list[Trial] = []
    best: dict[str, Any] = {}

    def evaluate(params: dict[str, Any]) -> Trial:
        start = time.perf_counter()
        model, loss, metrics = trial_loss(trainer, params, cfg.objective, X_valid, y_valid, cost)
        trial = Trial(len(trials), params, loss, metrics, time.perf_counter() - start, model.rounds)
        trials.append(trial)
        if not best or loss < best["trial"].loss:
            best.update(trial=trial, model=model)
        if on_trial is not None:
            on_trial(trial)
        return trial

    if cfg.max_evals == 0:
        evaluate({})
    else:

        def objective(sampled: dict[str, Any]) -> dict[str, Any]:
            return {"loss": evaluate(cast_params(sampled, space)).loss, "status": STATUS_OK}

        early_stop = no_progress_loss(cfg.no_progress_trials) if cfg.no_progress_trials else None
        fmin(
            objective,
            hyperopt_space(space),
            algo=ALGORITHMS[cfg.algorithm],
            max_evals=cfg.max_evals,
            trials=Trials(),
            rstate=np.random.default_rng(cfg.seed),
            early_stop_fn=early_stop,
            show_progressbar=False,
            **cfg.options,
        )
    return TuningResult(best=best["trial"], model=best["model"], trials=trials)
