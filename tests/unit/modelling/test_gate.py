"""The champion gate: floor on the test ROC AUC, business cost no worse than the champion's."""

from __future__ import annotations

from credit_scoring.stages.register import Champion, Scores, gate

FLOOR, TOLERANCE = 0.7, 0.0


def test_first_model_above_the_floor_is_promoted() -> None:
    assert gate(Scores(0.75, 0.5), None, FLOOR, TOLERANCE).promote


def test_model_below_the_floor_is_rejected_even_without_champion() -> None:
    decision = gate(Scores(0.65, 0.1), None, FLOOR, TOLERANCE)
    assert not decision.promote and "floor" in decision.reason


def test_worse_cost_than_the_champion_is_rejected() -> None:
    decision = gate(Scores(0.80, 0.51), Champion("3", Scores(0.78, 0.50)), FLOOR, TOLERANCE)
    assert not decision.promote and "worse than champion version 3" in decision.reason


def test_equal_or_better_cost_is_promoted_and_tolerance_applies() -> None:
    champion = Champion("3", Scores(0.78, 0.50))
    assert gate(Scores(0.76, 0.50), champion, FLOOR, TOLERANCE).promote
    assert not gate(Scores(0.76, 0.52), champion, FLOOR, 0.01).promote
    assert gate(Scores(0.76, 0.505), champion, FLOOR, 0.01).promote


def test_champion_that_cannot_score_is_replaced() -> None:
    decision = gate(Scores(0.8, 0.9), Champion("1", None, "ImportError: gone"), FLOOR, TOLERANCE)
    assert decision.promote and "cannot score" in decision.reason
