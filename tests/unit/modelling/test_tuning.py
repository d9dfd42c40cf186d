"""Hyperopt search: typed search space, best trial kept, validation-only objective."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from credit_scoring.config.modelling import (
    CostConfig,
    Distribution,
    ParamType,
    SearchParam,
    TuningConfig,
    TuningObjective,
)
from credit_scoring.errors import ConfigError
from credit_scoring.modelling.tuning import (
    cast_params,
    fixed_point,
    hyperopt_space,
    search,
    split_objective,
    tune,
    validation_loss,
)

COST = CostConfig(false_negative=10.0, false_positive=1.0)
SPACE = {
    "num_leaves": SearchParam(Distribution.quniform, 8, 64, 4, None, ParamType.int),
    "learning_rate": SearchParam(Distribution.loguniform, 0.01, 0.1),
    "boosting": SearchParam(Distribution.choice, options=["gbdt", "goss"], type=ParamType.any),
}


@dataclass
class FakeModel:
    """Scores that get better as learning_rate approaches 0.05 (the known optimum)."""

    params: dict
    rounds: int | None = None

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        noise = abs(np.log(self.params.get("learning_rate", 0.05) / 0.05))
        return X[:, 0] + noise * X[:, 1]


class FakeTrainer:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def fit(self, params: dict) -> FakeModel:
        self.calls.append(params)
        return FakeModel(params)


def data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    X = np.column_stack([y + rng.normal(size=n), rng.normal(size=n) * 5])
    return X, y


def test_sampled_values_have_their_declared_types() -> None:
    from hyperopt.pyll.stochastic import sample

    rng = np.random.default_rng(1)
    for _ in range(20):
        params = cast_params(sample(hyperopt_space(SPACE), rng=rng), SPACE)
        assert isinstance(params["num_leaves"], int) and 8 <= params["num_leaves"] <= 64
        assert params["num_leaves"] % 4 == 0
        assert isinstance(params["learning_rate"], float) and 0.01 <= params["learning_rate"] <= 0.1
        assert params["boosting"] in ("gbdt", "goss")


def test_quantised_distribution_needs_a_step() -> None:
    with pytest.raises(ConfigError, match="q"):
        hyperopt_space({"x": SearchParam(Distribution.quniform, 1, 5)})


def test_search_keeps_the_best_trial_and_respects_max_evals() -> None:
    X, y = data()
    trainer, seen = FakeTrainer(), []
    cfg = TuningConfig(name="t", max_evals=12, seed=3, objective=TuningObjective.roc_auc)
    result = tune(trainer, SPACE, cfg, X, y, COST, on_trial=seen.append)
    assert len(trainer.calls) == len(result.trials) == len(seen) == 12
    assert result.best.loss == min(t.loss for t in result.trials)
    assert result.model.params == result.best.params
    assert all(isinstance(t.params["num_leaves"], int) for t in result.trials)


def test_no_tuning_fits_once_with_the_fixed_params() -> None:
    X, y = data()
    trainer = FakeTrainer()
    result = tune(trainer, SPACE, TuningConfig(name="none", max_evals=0), X, y, COST)
    assert trainer.calls == [{}] and len(result.trials) == 1


def test_objectives() -> None:
    X, y = data()
    auc_loss, metrics = validation_loss(TuningObjective.roc_auc, y, X[:, 0], COST)
    cost_loss, _ = validation_loss(TuningObjective.business_cost, y, X[:, 0], COST)
    assert auc_loss == pytest.approx(1 - metrics["valid_roc_auc"])
    assert cost_loss == pytest.approx(metrics["valid_min_business_cost"])
    # the business-cost objective ignores monotone transformations of the score (calibration)
    assert validation_loss(TuningObjective.business_cost, y, np.tanh(X[:, 0]), COST)[0] == pytest.approx(
        cost_loss
    )


def test_search_can_start_from_the_fixed_params() -> None:
    X, y = data()
    fixed = {"num_leaves": 16, "learning_rate": 0.03, "boosting": "goss", "other": 1}
    cfg = TuningConfig(name="t", max_evals=3, seed=3, start_from_fixed=True)
    objective = split_objective(FakeTrainer(), X, y, cfg.objective, COST)
    result = search(objective, SPACE, cfg, fixed=fixed)
    first = result.trials[0].params
    assert first == {k: fixed[k] for k in SPACE} and len(result.trials) == 3
    assert fixed_point(SPACE, {"num_leaves": 16}) is None  # not every searched param is fixed
    unseeded = search(objective, SPACE, TuningConfig(name="t", max_evals=3, seed=3), fixed=fixed)
    assert unseeded.trials[0].params != first
    one = search(
        objective, SPACE, TuningConfig(name="t", max_evals=1, seed=3, start_from_fixed=True), fixed=fixed
    )
    assert [t.params for t in one.trials] == [first]  # one trial: the fixed params (hyperopt alone runs none)
