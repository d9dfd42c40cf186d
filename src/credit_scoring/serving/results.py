"""What the service answers: a client's score in the champion's terms (`ScoreResult`), the words of its
parts (sources, decisions, outcomes), and the message shown for an error (`user_message`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.errors import CreditScoringError
from credit_scoring.serving.explain import Reason

GRANTED, REFUSED = "granted", "refused"
REPAID, DEFAULTED = "repaid", "defaulted"
PRODUCTION, KNOWN, NEW, WHAT_IF = "production", "known", "new", "what-if"  # where a scored row comes from
# a scorecard champion's points breakdown of one client: per variable, its bin, its points, the best bin's
POINTS_SHOWN = ["label", "variable", "bin", "points", "best_points", "points_lost"]


@dataclass
class ScoreResult:
    """A client's score, decision and reasons, in the champion's terms."""

    client_id: int | None
    source: str  # production | known | new | what-if
    probability: float
    threshold: float
    refused: bool
    reasons: list[Reason]
    model_version: str
    outcome: str | None = None  # known clients: repaid / defaulted
    features: np.ndarray | None = field(default=None, repr=False)  # the feature row (context charts)
    points: pd.DataFrame | None = field(default=None, repr=False)  # scorecard champion: POINTS_SHOWN rows
    notices: list[str] = field(default_factory=list)  # implausible values, unseen levels (data.plausibility)

    @property
    def decision(self) -> str:
        return REFUSED if self.refused else GRANTED

    @property
    def distance(self) -> float:
        """Probability minus threshold (positive: refused side)."""
        return self.probability - self.threshold

    def summary(self) -> str:
        """One sentence for the client: decision, probability and distance to the threshold in points."""
        points = abs(self.distance) * 100
        side = "above" if self.distance >= 0 else "below"
        return (
            f"Credit {self.decision}: the estimated probability of default is {self.probability:.1%}, "
            f"{points:.1f} percentage points {side} the threshold of {self.threshold:.1%} "
            f"(refused at or above the threshold)."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "source": self.source,
            "probability": self.probability,
            "decision": self.decision,
            "refused": self.refused,
            "threshold": self.threshold,
            "distance_to_threshold": self.distance,
            "summary": self.summary(),
            "reasons": [r.to_dict() for r in self.reasons],
            "model_version": self.model_version,
            "known_outcome": self.outcome,
            "points": None if self.points is None else self.points.to_dict("records"),
        }


def outcome_text(y: float) -> str | None:
    """A known client's outcome in words (None: not known)."""
    return None if np.isnan(y) else (DEFAULTED if y == 1 else REPAID)


def user_message(exc: BaseException) -> str:
    """The message shown for an error: the project's own messages as they are, others summarised."""
    if isinstance(exc, CreditScoringError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {str(exc)[:300]}"


def rejection_line(exc: BaseException) -> str:
    """The one server-log line of a rejected input: its first line, no traceback."""
    return "rejected input: " + (str(exc).splitlines() or [type(exc).__name__])[0]
