"""tuning=ray: the hyperopt search on a local Ray (2 CPUs), each trial a nested MLflow run, the best kept.

A real LightGBM trainer on a small synthetic matrix; Ray starts once for the module (quietly, no dashboard)
and is shut down after.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

import mlflow
import numpy as np
import pytest
import ray
from mlflow.tracking import MlflowClient

from credit_scoring.config import compose_config
from credit_scoring.config.modelling import CostConfig, RayTuningConfig, TuningConfig
from credit_scoring.modelling.models import TrainingData, make_trainer
from credit_scoring.modelling.tuning import tune
from credit_scoring.modelling.tuning_ray import _NoProgress, plan
from credit_scoring.tracking.runs import log_trial
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri

pytestmark = pytest.mark.integration

COST = CostConfig(false_negative=10.0, false_positive=1.0)
TRIALS = 4


def matrices(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype("float32")
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * X[:, 0] - X[:, 1])))).astype("int64")
    return X, y


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_threads_per_trial_never_exceed_the_cores() -> None:
    assert plan(RayTuningConfig(address="", max_concurrent=2), cores=2) == (2, 1)
    assert plan(RayTuningConfig(address="", max_concurrent=2), cores=8) == (2, 4)
    assert plan(RayTuningConfig(address="", max_concurrent=4, threads_per_trial=3), cores=8) == (2, 3)
    assert plan(RayTuningConfig(address="", max_concurrent=2, threads_per_trial=4), cores=2) == (1, 2)


def test_search_stops_after_trials_without_progress() -> None:
    stopper = _NoProgress(2)
    for loss in (0.5, 0.4, 0.45):
        assert stopper("t", {"loss": loss}) is False
    assert not stopper.stop_all()
    stopper("t", {"loss": 0.41})
    assert stopper.stop_all() and not _NoProgress(None).stop_all()


def test_ray_config_composes() -> None:
    cfg = compose_config(["tuning=ray"]).tuning
    assert cfg.ray is not None and cfg.ray.max_concurrent == 2 and cfg.ray.address == ""
    assert compose_config(["tuning=hyperopt"]).tuning.ray is None


def test_ray_search_logs_each_trial_as_a_nested_run(local_ray: None, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    model_cfg = compose_config(["model=lightgbm"]).model
    model_cfg = dataclasses.replace(model_cfg, max_rounds=60, early_stopping_rounds=10)
    (X, y), (Xv, yv) = matrices(600, 1), matrices(300, 2)
    data = TrainingData(X, y, None, Xv, yv, [f"f{i}" for i in range(5)])
    ray_cfg = RayTuningConfig(address="", max_concurrent=2)
    cfg = TuningConfig(name="ray", max_evals=TRIALS, seed=3, ray=ray_cfg)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    previous = mlflow.get_tracking_uri()
    use_tracking_uri(uri)
    try:
        experiment = mlflow.create_experiment("ray", artifact_location=(tmp_path / "art").as_uri())
        mlflow.set_experiment(
            experiment_id=experiment
        )  # nested runs go to the active experiment, as in train
        with mlflow.start_run(experiment_id=experiment) as parent:
            result = tune(
                make_trainer(model_cfg, data, 1),
                model_cfg.search_space,
                cfg,
                Xv,
                yv,
                COST,
                on_trial=log_trial,
                rebuild=functools.partial(make_trainer, model_cfg, data),
            )
    finally:
        use_tracking_uri(previous)
    assert len(result.trials) == TRIALS and [t.number for t in result.trials] == list(range(TRIALS))
    assert result.best.loss == min(t.loss for t in result.trials)
    assert len({t.params["learning_rate"] for t in result.trials}) == TRIALS  # sampled, not fixed
    assert all(isinstance(t.params["num_leaves"], int) and t.rounds for t in result.trials)
    refit_auc = result.best.metrics["valid_roc_auc"]
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(yv, result.model.predict_score(Xv)) == pytest.approx(refit_auc, abs=1e-6)
    children = MlflowClient(uri).search_runs(
        [experiment], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert len(children) == TRIALS
    assert {c.data.metrics["loss"] for c in children} == {t.loss for t in result.trials}


def test_a_trial_process_builds_its_objective_once(local_ray: None, tmp_path) -> None:
    """Ray keeps one process per slot (`reuse_actors`): 6 trials on 2 slots bin the data at most twice, not
    once a trial (each trial in a new process: ~20 s of imports and binning at the default size)."""
    model_cfg = compose_config(["model=lightgbm"]).model
    model_cfg = dataclasses.replace(model_cfg, max_rounds=20, early_stopping_rounds=5)
    (X, y), (Xv, yv) = matrices(400, 1), matrices(200, 2)
    data = TrainingData(X, y, None, Xv, yv, [f"f{i}" for i in range(5)])
    builds = tmp_path / "builds.txt"

    def counted(threads: int):  # pickled by value into the trial processes
        import os

        with builds.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return make_trainer(model_cfg, data, threads)

    cfg = TuningConfig(name="ray", max_evals=6, seed=3, ray=RayTuningConfig(address="", max_concurrent=2))
    result = tune(
        make_trainer(model_cfg, data, 1), model_cfg.search_space, cfg, Xv, yv, COST, rebuild=counted
    )
    assert len(result.trials) == 6
    pids = builds.read_text().split()
    assert 1 <= len(pids) <= 2 and len(set(pids)) == len(pids)
