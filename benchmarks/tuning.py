"""Benchmark of the tuning engines: the same search (LightGBM, Hyperopt's TPE, 20 trials, no early stop) with
`tuning=hyperopt` (trials one after another, each with every core) and `tuning=ray` (2 concurrent trials x 1
thread on 2 cores): wall time, best validation ROC AUC, Ray's start-up and its overhead per trial.

Ray's overhead per trial = (wall x concurrent trials - sum of the trials' own seconds) / trials: the time a
trial slot spends outside the fit (scheduling, the trial process, reporting, building its trainer once).

    uv run python benchmarks/tuning.py                   # the default size (30,000 applicants)
    uv run python benchmarks/tuning.py --applicants 5000 --trials 10
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # OpenMP waits without spinning (shared machines)
os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")  # as modelling/tuning_ray.py, before `import ray`

import argparse
import dataclasses
import functools
import json
import sys
import tempfile
import time
from pathlib import Path

from common import load_average, machine_note, met

DEFAULT_APPLICANTS = 30_000
DEFAULT_TRIALS = 20
CORES = 2
GOAL_OVERHEAD_SECONDS = 1.0  # Ray's overhead per trial should stay under a second


def prepare(root: Path, applicants: int) -> list[str]:
    """Generate the applicants and run the data stages into `root`; the overrides that point a config there."""
    from credit_scoring.config import compose_config
    from credit_scoring.generator import GeneratorConfig, generate
    from credit_scoring.stages.features import run as features_stage
    from credit_scoring.stages.ingest import run as ingest
    from credit_scoring.stages.merge import run as merge
    from credit_scoring.stages.resample import run as resample_stage
    from credit_scoring.stages.split import run as split_stage

    generate(GeneratorConfig(applicants=applicants, seed=1), root / "raw", root / "oracle")
    overrides = [
        f"paths.raw={root}/raw",
        f"paths.ingest={root}/ingest",
        f"paths.merge={root}/merge",
        f"paths.split={root}/split",
        f"paths.features={root}/features",
        f"paths.resample={root}/resample",
        f"paths.oracle={root}/oracle/oracle.csv",
        "resampling=none",
        "model=lightgbm",
    ]
    cfg = compose_config([*overrides, f"runtime.threads={CORES}"])
    for stage in (ingest, merge, split_stage, features_stage, resample_stage):
        stage(cfg, log=lambda _m: None)
    return overrides


def search(overrides: list[str], engine: str, trials: int) -> dict:
    """One search with `engine`; its wall time, best validation AUC and trial seconds."""
    from credit_scoring.config import compose_config
    from credit_scoring.modelling.models import TrainingData, make_trainer
    from credit_scoring.modelling.tuning import tune
    from credit_scoring.stages.train import load_inputs

    threads = CORES if engine == "hyperopt" else 1
    cfg = compose_config(
        [*overrides, f"tuning={engine}", f"tuning.max_evals={trials}", "tuning.no_progress_trials=null"]
        + [f"runtime.threads={threads}"]
    )
    if cfg.tuning.ray is not None:
        ray_cfg = dataclasses.replace(cfg.tuning.ray, num_cpus=CORES, max_concurrent=2, threads_per_trial=1)
        cfg.tuning = dataclasses.replace(cfg.tuning, ray=ray_cfg)
    inputs, _ = load_inputs(cfg)
    m = inputs.model
    data = TrainingData(m.train.X, m.train.y, m.weights, m.valid.X, m.valid.y, m.feature_names)
    trainer = make_trainer(cfg.model, data, threads)
    start = time.perf_counter()
    result = tune(
        trainer,
        cfg.model.search_space,
        cfg.tuning,
        m.valid.X,
        m.valid.y,
        cfg.evaluation.cost,
        rebuild=functools.partial(make_trainer, cfg.model, data),
    )
    return {
        "engine": engine,
        "trials": len(result.trials),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "trial_seconds": round(sum(t.seconds for t in result.trials), 1),
        "best_valid_roc_auc": round(result.best.metrics["valid_roc_auc"], 4),
        "train_rows": len(m.train.y),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=DEFAULT_APPLICANTS)
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    import ray

    from credit_scoring.config import compose_config
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.modelling.tuning_ray import start_ray

    with tempfile.TemporaryDirectory(prefix="bench-tuning-") as tmp:
        overrides = prepare(Path(tmp), args.applicants)
        hyperopt = search(overrides, "hyperopt", args.trials)
        ray_cfg = compose_config([*overrides, "tuning=ray"]).tuning.ray
        assert ray_cfg is not None
        start = time.perf_counter()
        try:  # started once (with the configured retries of a missed start-up deadline), timed apart
            start_ray(dataclasses.replace(ray_cfg, address="", num_cpus=CORES))
        except CreditScoringError as exc:
            print(f"tuning: {exc}; hyperopt alone: {json.dumps(hyperopt)}")
            print(f"  {machine_note()}")
            return 1
        startup = time.perf_counter() - start
        try:
            on_ray = search(overrides, "ray", args.trials)
        finally:
            ray.shutdown()
    concurrent = 2
    overhead = (on_ray["wall_seconds"] * concurrent - on_ray["trial_seconds"]) / max(on_ray["trials"], 1)
    summary = {
        "applicants": args.applicants,
        "runs": [hyperopt, on_ray],
        "ray_startup_seconds": round(startup, 1),
        "ray_overhead_seconds_per_trial": round(overhead, 2),
        "load_average": load_average(),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"tuning: {args.trials} trials, LightGBM, {args.applicants:,} applicants ({hyperopt['train_rows']:,} train rows)"
    )
    for run in (hyperopt, on_ray):
        layout = f"1 trial x {CORES} threads" if run["engine"] == "hyperopt" else "2 trials x 1 thread"
        print(
            f"  {run['engine']:<9} {layout:<20} wall {run['wall_seconds']:>7.1f} s  "
            f"(trials' own {run['trial_seconds']:.1f} s)  best valid AUC {run['best_valid_roc_auc']:.4f}"
        )
    print(f"  Ray start-up {startup:.1f} s (once per search)")
    print(
        f"  Ray overhead per trial {overhead:.2f} s (goal < {GOAL_OVERHEAD_SECONDS:.1f} s: "
        f"{met(overhead < GOAL_OVERHEAD_SECONDS)})"
    )
    print(f"  {machine_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
