"""The champion gate: floor on the test ROC AUC, business cost no worse than the champion's."""

from __future__ import annotations

from credit_scoring.modelling.gate import Champion, Lineage, Scores, feature_schema, gate

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


def test_champion_that_cannot_score_is_kept_unless_overridden() -> None:
    champion = Champion("1", None, "ImportError: gone")
    decision = gate(Scores(0.8, 0.9), champion, FLOOR, TOLERANCE)
    assert (
        not decision.promote
        and "cannot score" in decision.reason
        and "replace_incomparable" in decision.reason
    )
    forced = gate(Scores(0.8, 0.9), champion, FLOOR, TOLERANCE, replace_incomparable=True)
    assert forced.promote and "replaced" in forced.reason


def test_champion_of_another_dataset_or_schema_is_not_compared() -> None:
    mine = Lineage("loans_b", feature_schema(["A", "B"]))
    other_data = Champion("4", Scores(0.5, 0.1), lineage=Lineage("loans_a", mine.feature_schema))
    decision = gate(Scores(0.8, 0.9), other_data, FLOOR, TOLERANCE, mine)
    assert not decision.promote and "dataset 'loans_a'" in decision.reason
    other_schema = Champion("4", Scores(0.9, 0.9), lineage=Lineage("loans_b", feature_schema(["A", "C"])))
    decision = gate(Scores(0.8, 0.1), other_schema, FLOOR, TOLERANCE, mine)
    assert not decision.promote and "feature schema" in decision.reason
    assert gate(Scores(0.8, 0.1), other_schema, FLOOR, TOLERANCE, mine, replace_incomparable=True).promote


def test_same_lineage_or_unrecorded_lineage_compares_on_cost() -> None:
    mine = Lineage("home_credit", feature_schema(["A", "B"]))
    same = Champion("2", Scores(0.78, 0.50), lineage=Lineage("home_credit", feature_schema(["A", "B"])))
    assert gate(Scores(0.8, 0.49), same, FLOOR, TOLERANCE, mine).promote
    unrecorded = Champion(
        "1", Scores(0.78, 0.50), lineage=Lineage(None, None)
    )  # registered before lineage tags
    assert not gate(Scores(0.8, 0.60), unrecorded, FLOOR, TOLERANCE, mine).promote
    assert feature_schema(["A", "B"]) != feature_schema(["B", "A"])
