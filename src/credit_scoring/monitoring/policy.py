"""The 'action required' policy of a drift report, and the exit code of `monitor --fail-on-drift`.

action required when
  * the predicted probability (the score row of the drift table) drifted, if policy.score_drift_is_action;
  * or the share of drifted features is above policy.max_drifted_share (strictly).
Evidently's verdict is reported beside it but does not decide: it sees only the top features, on a sample.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from credit_scoring.config.monitoring import PolicyConfig
from credit_scoring.monitoring.psi import FEATURE, SCORE

EXIT_OK = 0
EXIT_ACTION_REQUIRED = 3  # 1 is a failed run (bad input or config), 2 a usage error (typer/argparse)

ACTION_REQUIRED, NO_ACTION = "action required", "no action"


@dataclass
class PolicyVerdict:
    action_required: bool
    status: str  # "action required" | "no action"
    reasons: list[str]
    score_drifted: bool | None  # None: no score in the table
    score_psi: float | None
    drifted_features: list[str]
    drifted_share: float
    max_drifted_share: float
    features: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_policy(table: pd.DataFrame, cfg: PolicyConfig) -> PolicyVerdict:
    """Apply the policy to a drift table (drift.drift_table: role, psi, drifted per row)."""
    feats = table[table["role"] == FEATURE]
    score = table[table["role"] == SCORE]
    drifted = [str(f) for f in feats.index[feats["drifted"].astype(bool)]]
    share = len(drifted) / len(feats) if len(feats) else 0.0
    score_drifted = bool(score["drifted"].any()) if len(score) else None
    score_psi = float(score["psi"].iloc[0]) if len(score) else None
    reasons = []
    if score_drifted and cfg.score_drift_is_action:
        reasons.append(f"the score drifted (PSI {score_psi:.3f}, {score['band'].iloc[0]})")
    if share > cfg.max_drifted_share:
        reasons.append(
            f"{len(drifted)} of {len(feats)} features drifted ({share:.1%} > {cfg.max_drifted_share:.1%})"
        )
    action = bool(reasons)
    return PolicyVerdict(
        action_required=action,
        status=ACTION_REQUIRED if action else NO_ACTION,
        reasons=reasons,
        score_drifted=score_drifted,
        score_psi=score_psi,
        drifted_features=drifted,
        drifted_share=share,
        max_drifted_share=cfg.max_drifted_share,
        features=len(feats),
    )


def exit_code(verdict: PolicyVerdict, fail_on_drift: bool) -> int:
    """EXIT_ACTION_REQUIRED when asked to fail on drift and the report says action required, else 0."""
    return EXIT_ACTION_REQUIRED if fail_on_drift and verdict.action_required else EXIT_OK
