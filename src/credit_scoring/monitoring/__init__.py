"""Monitoring for auditors: drift (PSI of every feature, Evidently on the top ones), the action policy,
performance when labels arrive, results by group, model card and the reports index.

Modules: config (settings), psi (vectorised PSI + drift decision), evidently_report, policy, performance,
fairness, series (drift over time), report (summary.json, HTML pages, model card, index). Importing this
package is cheap: Evidently is imported only when its report runs.
"""

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.monitoring.policy import EXIT_ACTION_REQUIRED, PolicyVerdict, evaluate_policy, exit_code
from credit_scoring.monitoring.psi import ReferenceProfile, compare, drift_table

__all__ = [
    "EXIT_ACTION_REQUIRED",
    "MonitoringConfig",
    "PolicyVerdict",
    "ReferenceProfile",
    "compare",
    "drift_table",
    "evaluate_policy",
    "exit_code",
]
