"""The monitoring library: a champion's populations compared (PSI + chi-square drift of every feature,
Evidently on the top ones), the action policy, performance when labels arrive, results by group, and the
auditors' files (summary.json, drift report, drift over time, model card, index). Frames and typed settings
in, files out: no MLflow, no champion loading, no stage (those are `stages.monitor` and `tracking`).

Modules: psi (bins and statistics), drift (the drift table), policy, performance, fairness, evidently_report,
populations (rows as the champion sees them), series (drift over time), summary (summary.json, headline
metrics), drift_report, model_card, index. Importing it is cheap: Evidently is imported only when it runs.
"""

from credit_scoring.monitoring.drift import compare, drift_table
from credit_scoring.monitoring.policy import EXIT_ACTION_REQUIRED, PolicyVerdict, evaluate_policy, exit_code
from credit_scoring.monitoring.psi import ReferenceProfile

__all__ = [
    "EXIT_ACTION_REQUIRED",
    "PolicyVerdict",
    "ReferenceProfile",
    "compare",
    "drift_table",
    "evaluate_policy",
    "exit_code",
]
