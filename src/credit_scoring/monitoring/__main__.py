"""Drift check of one production batch against a reference, without the pipeline or the champion.

    python -m credit_scoring.monitoring REFERENCE CURRENT [--score-column score] [--out reports/drift]
        [--config conf/monitoring/....yaml] [--exclude SK_ID_CURR --exclude TARGET] [--fail-on-drift]

REFERENCE and CURRENT are Parquet or CSV files. Writes OUT/summary.json and OUT/report.html (PSI of every
common column, the policy verdict; no Evidently, no MLflow: those need the champion, see the `monitor`
stage) and refreshes the index of OUT's parent folder. Exit codes: 0 done, 1 bad input or configuration,
3 (EXIT_ACTION_REQUIRED) when --fail-on-drift is given and the report says "action required".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from credit_scoring.errors import CreditScoringError
from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.monitoring.policy import evaluate_policy, exit_code
from credit_scoring.monitoring.psi import bin_table, drift_table
from credit_scoring.monitoring.report import write_drift_report, write_index
from credit_scoring.stages.monitor import read_rows

EXIT_ERROR = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m credit_scoring.monitoring", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("reference", type=Path)
    parser.add_argument("current", type=Path)
    parser.add_argument("--score-column", default=None, help="the predicted probability column, if any")
    parser.add_argument("--out", type=Path, default=Path("reports/drift"))
    parser.add_argument(
        "--config", type=Path, default=None, help="a monitoring YAML (default: built-in defaults)"
    )
    parser.add_argument("--exclude", action="append", default=[], help="a column to leave out (repeatable)")
    parser.add_argument("--fail-on-drift", action="store_true", help="exit 3 when action is required")
    args = parser.parse_args(argv)
    try:
        cfg = MonitoringConfig.from_yaml(args.config) if args.config else MonitoringConfig()
        ref, cur = read_rows(args.reference), read_rows(args.current)
        score = args.score_column
        if score and (score not in ref.columns or score not in cur.columns):
            raise CreditScoringError(f"score column {score!r} is not in both files")
        skip = {*args.exclude, *([score] if score else [])}
        columns = [c for c in ref.columns if c in set(cur.columns) and c not in skip]
        if not columns:
            raise CreditScoringError("the two files have no column in common")
        table = drift_table(ref, cur, columns, score_column=score, cfg=cfg)
        verdict = evaluate_policy(table, cfg.policy)
        meta = {
            "reference": str(args.reference),
            "reference_rows": len(ref),
            "current": str(args.current),
            "current_rows": len(cur),
        }
        bins = bin_table(ref, cur, score, cfg.psi) if score else None
        paths = write_drift_report(args.out, table, verdict, cfg, metadata=meta, score_bins=bins)
        write_index(args.out.parent)
    except CreditScoringError as exc:
        print(f"[monitor] FAILED: {exc}", file=sys.stderr)
        return EXIT_ERROR
    drifted = int(table.loc[table["role"] == "feature", "drifted"].sum())
    print(f"[monitor] {drifted} of {len(columns)} features drifted; {verdict.status}")
    for reason in verdict.reasons:
        print(f"[monitor]   - {reason}")
    print(f"[monitor] wrote {paths['summary']} and {paths['html']}")
    return exit_code(verdict, args.fail_on_drift)


if __name__ == "__main__":
    sys.exit(main())
