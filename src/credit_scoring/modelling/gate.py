"""The champion gate: whether a challenger takes the registry alias, and why (a pure function).

The challenger's test ROC AUC must reach the floor, and it must beat the current champion by more than noise
on the same test rows: given the paired bootstrap of the two models (`modelling.paired`), the upper bound of
the interval of (challenger - champion) business cost per applicant must be below `cost_tolerance` (0: the
challenger is cheaper beyond noise; a positive tolerance makes it a non-inferiority margin), and its ROC AUC
must not be worse beyond noise (the interval of the AUC difference must not lie wholly below 0). Without the
paired comparison (no rows), the point costs are compared within the tolerance. With no champion yet, the
floor alone decides. A champion that is not comparable — trained on another dataset or another feature schema, or unable
to score the current rows — is never replaced silently: the gate refuses, unless the explicit override
(`registry.replace_incomparable`) is set, and the reason says which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from credit_scoring.modelling.paired import Comparison, Interval

OVERRIDE = "registry.replace_incomparable=true"


@dataclass(frozen=True)
class Lineage:
    """What a model was trained on: the dataset's name and its feature schema (None: not recorded)."""

    dataset: str | None
    feature_schema: str | None


def feature_schema(feature_names: Sequence[str]) -> str:
    """A short digest of the model's feature columns, in order (two models compare only if equal)."""
    return hashlib.sha256("\n".join(feature_names).encode("utf-8")).hexdigest()[:16]


def mismatch(challenger: Lineage, champion: Lineage | None) -> str | None:
    """Why two lineages are not comparable, None when they are (an unrecorded side is not a mismatch)."""
    if champion is None:
        return None
    if challenger.dataset and champion.dataset and challenger.dataset != champion.dataset:
        return f"was trained on dataset {champion.dataset!r}, this model on {challenger.dataset!r}"
    if (
        challenger.feature_schema
        and champion.feature_schema
        and challenger.feature_schema != champion.feature_schema
    ):
        return f"has another feature schema ({champion.feature_schema} vs {challenger.feature_schema})"
    return None


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
    lineage: Lineage | None = None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def gate(
    challenger: Scores,
    champion: Champion | None,
    min_roc_auc: float,
    cost_tolerance: float,
    lineage: Lineage | None = None,
    replace_incomparable: bool = False,
    comparison: Comparison | None = None,
) -> GateDecision:
    """Whether the challenger takes the alias, and why.

    lineage: the challenger's (compared with the champion's); replace_incomparable: the explicit override
    that lets a challenger replace a champion it cannot be compared with; comparison: the paired bootstrap of
    challenger and champion on the same rows (None: point comparison of the costs).
    """
    if challenger.roc_auc < min_roc_auc:
        return GateDecision(
            False, f"test ROC AUC {challenger.roc_auc:.4f} is below the floor {min_roc_auc:.4f}"
        )
    if champion is None:
        return GateDecision(True, f"test ROC AUC {challenger.roc_auc:.4f} reaches the floor; no champion yet")
    why = mismatch(lineage, champion.lineage) if lineage is not None else None
    if why is None and champion.scores is None:
        why = f"cannot score the current test rows ({champion.error})"
    if why is not None:
        if replace_incomparable:
            return GateDecision(True, f"champion version {champion.version} {why}: replaced ({OVERRIDE})")
        return GateDecision(
            False,
            f"champion version {champion.version} {why}: not comparable, kept (to replace it: {OVERRIDE})",
        )
    assert champion.scores is not None
    if comparison is not None:
        return _paired_decision(challenger, champion, comparison, cost_tolerance)
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


def _shown(i: Interval) -> str:
    return f"{i.estimate:+.4f} [{i.low:+.4f}, {i.high:+.4f}] at {i.confidence:.0%}"


def _paired_decision(
    challenger: Scores, champion: Champion, comparison: Comparison, cost_tolerance: float
) -> GateDecision:
    """The gate against a comparable champion, from the paired intervals (challenger - champion)."""
    cost, auc = comparison.cost_difference, comparison.auc_difference
    versus = f"champion version {champion.version}"
    if auc.high < 0:
        return GateDecision(
            False,
            f"ROC AUC is worse than {versus}'s beyond noise: difference {_shown(auc)} "
            f"(DeLong p = {comparison.auc_p_value:.3g})",
        )
    if cost.high >= cost_tolerance:
        return GateDecision(
            False,
            f"business cost per applicant does not beat {versus}'s by more than noise: difference "
            f"{_shown(cost)} ({comparison.method}, {comparison.resamples} resamples; upper bound must be below "
            f"{cost_tolerance:+.4f})",
        )
    return GateDecision(
        True,
        f"business cost per applicant beats {versus}'s beyond noise: difference {_shown(cost)}; ROC AUC "
        f"{challenger.roc_auc:.4f} vs {champion.scores.roc_auc if champion.scores else float('nan'):.4f}, "
        f"difference {_shown(auc)}, DeLong p = {comparison.auc_p_value:.3g} ({comparison.method}, "
        f"{comparison.resamples} resamples)",
    )
