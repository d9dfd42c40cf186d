"""The statistically honest gate: a paired bootstrap on the same test rows refuses a challenger that is only
noise-better and accepts a clearly better one."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from credit_scoring.config.modelling import CostConfig
from credit_scoring.modelling.costs import business_cost, decisions, row_costs
from credit_scoring.modelling.gate import Champion, Scores, gate
from credit_scoring.modelling.paired import auc, bootstrap_means, paired_bootstrap

COST = CostConfig(false_negative=10.0, false_positive=1.0)
THRESHOLD, FLOOR = 0.2, 0.5


def population(n: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and a latent risk: y ~ Bernoulli(sigmoid(risk))."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(-2.0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype("int64")
    return y, risk


def model_scores(risk: np.ndarray, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 1 / (1 + np.exp(-(risk + rng.normal(0, noise, len(risk)))))


def decide(y: np.ndarray, champion_p: np.ndarray, challenger_p: np.ndarray, tolerance: float = 0.0):
    d_ch, d_cp = decisions(challenger_p, THRESHOLD), decisions(champion_p, THRESHOLD)
    comparison = paired_bootstrap(
        y, row_costs(y, d_ch, COST), row_costs(y, d_cp, COST), challenger_p, champion_p,
        confidence=0.95, resamples=500, seed=0,
    )  # fmt: skip
    mine = Scores(float(roc_auc_score(y, challenger_p)), business_cost(y, d_ch, COST))
    theirs = Champion("1", Scores(float(roc_auc_score(y, champion_p)), business_cost(y, d_cp, COST)))
    return gate(mine, theirs, FLOOR, tolerance, comparison=comparison), comparison, mine, theirs


def test_row_costs_average_to_the_business_cost() -> None:
    y, risk = population(500)
    d = decisions(model_scores(risk, 1.0, 2), THRESHOLD)
    assert np.isclose(row_costs(y, d, COST).mean(), business_cost(y, d, COST))


def test_auc_estimator_matches_sklearn_with_ties() -> None:
    y, risk = population(300)
    p = np.round(model_scores(risk, 1.0, 3), 1)  # many ties
    assert np.isclose(auc(y, p), roc_auc_score(y, p))


def test_noise_better_copy_of_the_champion_is_refused() -> None:
    y, risk = population()
    champion_p = model_scores(risk, 1.0, 2)
    jitter = np.random.default_rng(9).normal(0, 1e-3, len(y))
    candidates = [np.clip(champion_p + s * jitter, 0, 1) for s in (1, -1)]
    # the jittered copy whose point cost is lower: the old point gate would have promoted it
    challenger_p = min(candidates, key=lambda p: business_cost(y, decisions(p, THRESHOLD), COST))
    decision, comparison, mine, theirs = decide(y, champion_p, challenger_p)
    assert mine.business_cost <= theirs.scores.business_cost
    assert gate(mine, theirs, FLOOR, 0.0).promote  # point comparison: promoted on noise
    assert not decision.promote and "more than noise" in decision.reason
    cost = comparison.cost_difference
    assert cost.low <= 0 <= cost.high and cost.confidence == 0.95
    assert comparison.auc_difference.low <= 0 <= comparison.auc_difference.high


def test_clearly_better_challenger_is_accepted_with_its_interval() -> None:
    y, risk = population()
    champion_p, challenger_p = model_scores(risk, 2.0, 2), model_scores(risk, 0.2, 3)
    decision, comparison, _, _ = decide(y, champion_p, challenger_p)
    assert decision.promote, decision.reason
    assert comparison.cost_difference.high < 0 and comparison.auc_difference.low > 0
    assert f"{comparison.cost_difference.high:+.4f}" in decision.reason


def test_clearly_worse_auc_is_refused_and_tolerance_is_a_margin() -> None:
    y, risk = population()
    good, bad = model_scores(risk, 0.2, 2), model_scores(risk, 2.0, 3)
    decision, comparison, _, _ = decide(y, good, bad)
    assert not decision.promote and "ROC AUC is worse" in decision.reason
    # same models, the tolerance as a non-inferiority margin: a margin above the upper bound lets it pass
    decision, comparison, _, _ = decide(y, good, np.clip(good + 1e-4, 0, 1), tolerance=1.0)
    assert decision.promote and comparison.cost_difference.high < 1.0


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    y, risk = population(800)
    a, b = model_scores(risk, 1.0, 2), model_scores(risk, 1.2, 3)
    ca, cb = row_costs(y, decisions(a, THRESHOLD), COST), row_costs(y, decisions(b, THRESHOLD), COST)
    first = paired_bootstrap(y, ca, cb, a, b, confidence=0.9, resamples=300, seed=4)
    again = paired_bootstrap(y, ca, cb, a, b, confidence=0.9, resamples=300, seed=4)
    other = paired_bootstrap(y, ca, cb, a, b, confidence=0.9, resamples=300, seed=5)
    assert first == again and first != other


def test_multinomial_bootstrap_matches_resampling_rows() -> None:
    """Counting draws per distinct value is the same bootstrap as drawing row indices."""
    y, risk = population(2000)
    d = row_costs(y, decisions(model_scores(risk, 1.0, 2), THRESHOLD), COST)
    d = d - row_costs(y, decisions(model_scores(risk, 1.5, 3), THRESHOLD), COST)
    rng = np.random.default_rng(0)
    by_rows = d[rng.integers(0, len(d), size=(4000, len(d)))].mean(axis=1)
    by_counts = bootstrap_means(d, 4000, np.random.default_rng(1))
    assert abs(by_counts.mean() - d.mean()) < 0.1 * by_rows.std()
    assert abs(by_counts.std() / by_rows.std() - 1) < 0.08
