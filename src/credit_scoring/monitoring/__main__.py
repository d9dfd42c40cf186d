"""Drift check of one production batch against a reference, without the pipeline or the champion.

    python -m credit_scoring.monitoring REFERENCE CURRENT [--score-column score] [--out reports/drift]
        [--config conf/monitoring/....yaml] [--exclude SK_ID_CURR --exclude TARGET] [--fail-on-drift]

REFERENCE and CURRENT are Parquet or CSV files. Writes OUT/summary.json and OUT/report.html (PSI of every
common column, the policy verdict; no Evidently, no MLflow: those need the champion, see the `monitor`
stage) and refreshes the index of OUT's parent folder. Exit codes: 0 done, 1 bad input or configuration,
2 bad argument, 3 (EXIT_ACTION_REQUIRED) when --fail-on-drift is given and the report says "action required".

A thin typer app over the command :func:`credit_scoring.cli.monitor.drift_check` (one CLI framework).
"""

from __future__ import annotations

import sys

import typer

from credit_scoring.cli.monitor import drift_check

PROG = "python -m credit_scoring.monitoring"

app = typer.Typer(
    name=PROG,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(drift_check)


def main(argv: list[str] | None = None) -> int:
    """Run the drift check on `argv` (default: the command line) and return its exit code."""
    try:
        app(args=argv, prog_name=PROG)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
