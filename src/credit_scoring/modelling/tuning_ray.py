"""The hyperopt search with its trials run in parallel on Ray Tune (tuning=ray).

The same search space (`hyperopt_space`), the same TPE (Ray's HyperOptSearch drives Hyperopt), the same
objective (the `Objective` of tuning.py: one split or k folds), the same early stopping (no improvement for `no_progress_trials` trials
stops the whole search). ConcurrencyLimiter keeps `max_concurrent` trials running; each takes
`threads_per_trial` of Ray's CPUs, so trials x threads never exceed the cores. `on_trial` is called in this
process, in the order the trials ended, once the search is over (the train stage logs it as a nested MLflow run, as with hyperopt).

A trial process builds its own objective once (`factory(threads)`: a trainer's binned data is not picklable)
and reuses it for the next trials it runs: Ray keeps one process per slot (`reuse_actors`; without it, each
trial started a process, ~20 s of imports and binning a trial); the best parameters are evaluated once more
here, with this process' objective, for the model (or out-of-fold scores) kept: same parameters, same seed.
"""

from __future__ import annotations

import os

# Under `uv run`, Ray's default hook starts every worker with `uv run` in a packaged copy of the working
# directory (a second .venv built in that copy, `uv run` at each worker start, and a failure when the working
# directory holds no pyproject.toml). The workers use this interpreter instead (a cluster's nodes have the
# package installed, docs/scaling.md); RAY_ENABLE_UV_RUN_RUNTIME_ENV=1 restores Ray's hook.
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # read when ray is imported, just below

import logging
import math
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.hyperopt import HyperOptSearch

from credit_scoring.config.modelling import (
    RayTuningConfig,
    SearchParam,
    TuningAlgorithm,
    TuningConfig,
)
from credit_scoring.errors import CreditScoringError
from credit_scoring.modelling.tuning import (
    Objective,
    ObjectiveFactory,
    Trial,
    TuningResult,
    cast_params,
    fixed_point,
    hyperopt_space,
)

LOSS = "loss"
NO_ROUNDS = -1  # `rounds` reported by models without boosting rounds
METRIC = "metric."  # prefix of the objective's metrics in a trial's report
_OBJECTIVES: dict[str, Objective] = {}  # per trial process: the objective of the search it runs, by search id

logger = logging.getLogger(__name__)


def _run_trial(
    config: dict[str, Any],
    factory: ObjectiveFactory,
    threads: int,
    space: dict[str, SearchParam],
    search_id: str,
) -> None:
    """Ray's function trainable: one evaluation of the objective, its loss and metrics reported once (the
    objective built on this process' first trial of the search `search_id`)."""
    start = time.perf_counter()
    objective = _OBJECTIVES.get(search_id)  # one search's trials all have the same `threads`
    if objective is None:
        _OBJECTIVES.clear()  # another search's objective (a process Ray kept): its data is not this one's
        objective = _OBJECTIVES[search_id] = factory(threads)
    outcome = objective(cast_params(config, space))
    rounds = NO_ROUNDS if outcome.rounds is None else outcome.rounds
    metrics = {METRIC + k: v for k, v in outcome.metrics.items()}
    tune.report({LOSS: outcome.loss, **metrics, "seconds": time.perf_counter() - start, "rounds": rounds})


class _NoProgress(tune.Stopper):
    """Stop the whole search after `patience` trials without a better loss (hyperopt's no_progress_loss)."""

    def __init__(self, patience: int | None) -> None:
        self.patience, self.best, self.since = patience, math.inf, 0

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        if result[LOSS] < self.best:
            self.best, self.since = result[LOSS], 0
        else:
            self.since += 1
        return False

    def stop_all(self) -> bool:
        return self.patience is not None and self.since >= self.patience


class _Collect(tune.Callback):
    """Each trial's report as a `Trial`, in the order they end"""

    def __init__(self, space: dict[str, SearchParam]) -> None:
        self.space, self.trials = space, []

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        metrics = {k[len(METRIC) :]: float(v) for k, v in result.items() if k.startswith(METRIC)}
        rounds = None if result["rounds"] == NO_ROUNDS else int(result["rounds"])
        params = cast_params(dict(trial.config), self.space)
        done = Trial(len(self.trials), params, float(result[LOSS]), metrics, float(result["seconds"]), rounds)
        self.trials.append(done)


def start_ray(cfg: RayTuningConfig) -> bool:
    """Connect to the configured cluster or start a local Ray, quietly; False when one was already running."""
    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    where = {"address": cfg.address} if cfg.address else {"num_cpus": cfg.num_cpus}
    for attempt in range(1, max(1, cfg.start_attempts) + 1):
        try:
            ray.init(**where, **quiet)
            return True
        except Exception as exc:  # Ray raises a bare Exception when its processes miss the start-up deadline
            ray.shutdown()
            if attempt >= cfg.start_attempts:
                raise CreditScoringError(
                    f"tuning.ray: Ray did not start after {attempt} attempt(s) ({exc}); on a loaded machine raise "
                    "tuning.ray.start_attempts, or use tuning=hyperopt"
                ) from None
            logger.warning("tuning.ray: Ray did not start (%s); attempt %d of %d", exc, attempt + 1,
                           cfg.start_attempts)  # fmt: skip
    return True


def plan(cfg: RayTuningConfig, cores: int) -> tuple[int, int]:
    """(trials at once, threads per trial) with trials x threads <= cores."""
    threads = min(cfg.threads_per_trial or max(1, cores // cfg.max_concurrent), max(1, cores))
    return max(1, min(cfg.max_concurrent, cores // threads)), threads


def search_ray(
    objective_fn: Objective,
    factory: ObjectiveFactory,
    space: dict[str, SearchParam],
    cfg: TuningConfig,
    on_trial: Callable[[Trial], None] | None = None,
    fixed: dict[str, Any] | None = None,
) -> TuningResult:
    """Run the search on Ray (started here when it is not running, and then shut down) and keep the best:
    its params evaluated once more in this process with `objective_fn` (same params, same seed)."""
    assert cfg.ray is not None
    started = start_ray(cfg.ray)
    try:
        concurrent, threads = plan(cfg.ray, int(ray.cluster_resources().get("CPU", 1)))
        random = cfg.algorithm is TuningAlgorithm.random
        searcher = HyperOptSearch(
            hyperopt_space(space),
            metric=LOSS,
            mode="min",
            n_initial_points=cfg.max_evals if random else None,  # None: tpe.suggest's own start-up
            random_state_seed=cfg.seed,
            points_to_evaluate=_start(space, fixed) if cfg.start_from_fixed else None,
        )
        trainable = tune.with_parameters(
            _run_trial, factory=factory, threads=threads, space=space, search_id=uuid.uuid4().hex
        )
        collect = _Collect(space)
        with tempfile.TemporaryDirectory(prefix="ray-tune-") as scratch:
            tuner = tune.Tuner(
                tune.with_resources(trainable, {"cpu": threads}),
                tune_config=tune.TuneConfig(
                    search_alg=ConcurrencyLimiter(searcher, max_concurrent=concurrent),
                    num_samples=cfg.max_evals,
                    reuse_actors=True,  # one trial process per slot: its objective (binned data) is kept
                ),
                run_config=tune.RunConfig(
                    storage_path=cfg.ray.storage_path or scratch,
                    stop=_NoProgress(cfg.no_progress_trials),
                    callbacks=[collect],
                    verbose=0,
                ),
            )
            failed = tuner.fit().errors
    finally:
        if started:
            ray.shutdown()
    if failed:
        raise RuntimeError(f"tuning.ray: {len(failed)} trial(s) failed; the first: {failed[0]}")
    if not collect.trials:
        raise RuntimeError("tuning.ray: no trial reported a result (see Ray's logs)")
    if on_trial is not None:  # here, in the caller's thread: MLflow's active (parent) run is thread-local
        for trial in collect.trials:
            on_trial(trial)
    best = min(collect.trials, key=lambda t: t.loss)
    outcome = objective_fn(best.params)
    return TuningResult(best, outcome.model, collect.trials, outcome.oof_scores)


def _start(space: dict[str, SearchParam], fixed: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The model's fixed params as the first point to evaluate (values, as Ray's HyperOptSearch takes them),
    None when one searched parameter has no usable fixed value."""
    return None if fixed_point(space, fixed or {}) is None else [{k: (fixed or {})[k] for k in space}]
