"""The champion gate: whether a challenger takes the registry alias, and why (a pure function).

The challenger's test ROC AUC must reach the floor, and its business cost per applicant must be no worse
than the current champion's on the same test rows, within a tolerance. With no champion yet, the floor alone
decides. A champion that is not comparable — trained on another dataset or another feature schema, or unable
to score the current rows — is never replaced silently: the gate refuses, unless the explicit override
(`registry.replace_incomparable`) is set, and the reason says which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

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
) -> GateDecision:
    """Whether the challenger takes the alias, and why.

    lineage: the challenger's (compared with the champion's); replace_incomparable: the explicit override
    that lets a challenger replace a champion it cannot be compared with.
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
