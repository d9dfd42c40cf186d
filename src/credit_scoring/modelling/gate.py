"""The champion gate: whether a challenger takes the registry alias, and why (a pure function).

The challenger's test ROC AUC must reach the floor, and its business cost per applicant must be no worse
than the current champion's on the same test rows, within a tolerance. With no champion yet, the floor alone
decides; a champion that cannot score the rows is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    """A model's test ROC AUC and business cost per applicant, on the same test rows."""

    roc_auc: float
    business_cost: float


@dataclass(frozen=True)
class Champion:
    """The alias holder as the gate sees it: its version and its scores on the same rows."""

    version: str
    scores: Scores | None  # None: the champion could not score the rows
    error: str | None = None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def gate(
    challenger: Scores, champion: Champion | None, min_roc_auc: float, cost_tolerance: float
) -> GateDecision:
    """Whether the challenger takes the alias, and why."""
    if challenger.roc_auc < min_roc_auc:
        return GateDecision(
            False, f"test ROC AUC {challenger.roc_auc:.4f} is below the floor {min_roc_auc:.4f}"
        )
    if champion is None:
        return GateDecision(True, f"test ROC AUC {challenger.roc_auc:.4f} reaches the floor; no champion yet")
    if champion.scores is None:
        return GateDecision(
            True, f"champion version {champion.version} cannot score the current test rows ({champion.error})"
        )
    mine, theirs = challenger.business_cost, champion.scores.business_cost
    if mine > theirs + cost_tolerance:
        return GateDecision(
            False,
            f"business cost {mine:.4f} per applicant is worse than champion version {champion.version}'s "
            f"{theirs:.4f} on the same test rows",
        )
    return GateDecision(
        True,
        f"business cost {mine:.4f} per applicant is no worse than champion version {champion.version}'s "
        f"{theirs:.4f} on the same test rows (ROC AUC {challenger.roc_auc:.4f} vs {champion.scores.roc_auc:.4f})",
    )
