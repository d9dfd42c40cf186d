"""The WoE scorecard (credit_scoring.modelling.scorecard) on a tiny inline frame: points against the scaling of
conf/model/scorecard.yaml, scores monotone in points, contributions = points lost against the best bins,
the points table and one row's points breakdown, the routing of params to binning and regression."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.special import logit

from credit_scoring.config import compose_config
from credit_scoring.config.modelling import ModelConfig
from credit_scoring.errors import ConfigError
from credit_scoring.modelling.models import TrainingData, make_trainer
from credit_scoring.modelling.scorecard import BREAKDOWN_COLUMNS, POINTS_COLUMNS, ScorecardModel

FEATURES = ["risk_up", "risk_down", "constant", "empty"]
NUMERIC_BINS = ("Special", "Missing")  # the bins of a variable that are not intervals


def _rows(seed: int, n: int = 800) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES))).astype("float32")
    X[rng.random(n) < 0.1, 0] = np.nan  # a missing bin for the first feature
    X[:, 2] = 1.0  # no information: below the IV minimum, not in the scorecard
    X[:, 3] = np.nan  # missing on every row: not binned, no points
    logit_pd = -2.5 + 1.2 * np.nan_to_num(X[:, 0]) - 0.8 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit_pd))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def cfg() -> ModelConfig:
    return compose_config(["model=scorecard", "tuning=none"]).model


@pytest.fixture(scope="module")
def data() -> TrainingData:
    (X, y), (Xv, yv) = _rows(0), _rows(1)
    return TrainingData(X, y, None, Xv, yv, FEATURES)


@pytest.fixture(scope="module")
def model(cfg: ModelConfig, data: TrainingData) -> ScorecardModel:
    return make_trainer(cfg, data, threads=1).fit({})


def test_scores_are_the_configured_points_to_double_the_odds(
    cfg: ModelConfig, data: TrainingData, model: ScorecardModel
) -> None:
    s = cfg.scaling
    p = model.predict_score(data.X_valid)
    factor = s.pdo / math.log(2)
    # score at good:bad odds `odds` is `score`; every pdo points more double the odds
    np.testing.assert_allclose(model.score(data.X_valid), s.score - factor * (logit(p) + math.log(s.odds)))
    order = np.argsort(model.score(data.X_valid), kind="stable")
    assert (np.diff(p[order]) <= 1e-12).all()  # more points, never a higher probability of default
    assert np.corrcoef(p, data.y_valid)[0, 1] > 0.2  # it learnt the risk


def test_contributions_are_the_points_lost_against_the_best_bins(
    data: TrainingData, model: ScorecardModel
) -> None:
    X = data.X_valid
    c = model.contributions(X)
    assert c.shape == X.shape and c.dtype == np.float64 and (c >= -1e-12).all()
    assert np.isclose(c.min(axis=0)[:2], 0).all()  # some client is in each variable's best bin
    base = logit(model.predict_score(X)) - c.sum(axis=1)  # the log-odds of a client in every best bin
    np.testing.assert_allclose(base, base[0], atol=1e-9)
    lost = model.points_breakdown(X[:1])
    np.testing.assert_allclose(lost["points_lost"].sum(), c[0].sum() * model.factor, rtol=1e-9)
    assert not c[:, FEATURES.index("constant")].any()  # not selected (IV below the minimum): no points
    assert not c[:, FEATURES.index("empty")].any()


def test_points_table_and_breakdown(data: TrainingData, model: ScorecardModel) -> None:
    table = model.points_table()
    assert list(table.columns) == POINTS_COLUMNS
    assert set(table["variable"]) == {"risk_up", "risk_down"}
    up = table[(table["variable"] == "risk_up") & ~table["bin"].isin(NUMERIC_BINS)]
    assert len(up) >= 2 and up["points"].is_monotonic_decreasing  # monotonic trend: more risk, fewer points
    assert (table["iv"] >= 0).all() and table["woe"].notna().all()
    row = data.X_valid[:1]
    breakdown = model.points_breakdown(row)
    assert list(breakdown.columns) == BREAKDOWN_COLUMNS
    assert breakdown["points_lost"].is_monotonic_decreasing and (breakdown["points_lost"] >= 0).all()
    intercept = model.score(row)[0] - breakdown["points"].sum()  # optbinning's intercept_ (0 unless based)
    assert intercept == pytest.approx(model.scorecard.intercept_)
    for r in breakdown.itertuples():  # each bin and its points are a row of the points table
        match = table[(table["variable"] == r.variable) & (table["bin"] == r.bin)]
        assert len(match) == 1 and match["points"].iloc[0] == pytest.approx(r.points)


def test_params_reach_the_binning_and_the_regression(cfg: ModelConfig, data: TrainingData) -> None:
    scorecard = make_trainer(cfg, data, threads=1).estimator({"max_n_bins": 3, "C": 0.5})
    process = scorecard.binning_process
    assert process.max_n_bins == 3 and process.selection_criteria == cfg.params["selection_criteria"]
    assert process.binning_fit_params["constant"]["monotonic_trend"] == cfg.params["monotonic_trend"]
    assert list(process.variable_names) == FEATURES[:3]  # the all-missing feature is not binned
    assert scorecard.estimator.C == 0.5 and scorecard.estimator.max_iter == cfg.params["max_iter"]
    assert scorecard.scaling_method_params == {
        "pdo": cfg.scaling.pdo,
        "odds": cfg.scaling.odds,
        "scorecard_points": cfg.scaling.score,
    }


def test_a_scorecard_without_scaling_is_refused(cfg: ModelConfig, data: TrainingData) -> None:
    with pytest.raises(ConfigError, match="scaling"):
        make_trainer(dataclasses.replace(cfg, scaling=None), data, threads=1)
