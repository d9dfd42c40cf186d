"""`credit-scoring monitor` (drift, PSI and performance of a production population), `credit-scoring reports`
(the auditors' index page), and the standalone drift check of two files run by
`python -m credit_scoring.monitoring` (:func:`drift_check`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credit_scoring.cli.common import UsageProblem, console, err_console, fail

DRIFT_CHECK_FAILED = 1  # exit code of a drift check on bad input or configuration


def monitor(
    current: Annotated[
        Path | None,
        typer.Option(
            "--current",
            help="Production population: a CSV/Parquet of application rows, or a batch folder (production "
            "table + side tables). Default: the pipeline's application_test.",
            show_default=False,
        ),
    ] = None,
    series: Annotated[
        Path | None,
        typer.Option(
            "--series",
            help="A folder of batch folders (month_01/, month_02/, ...): PSI per feature per batch and its plot.",
            show_default=False,
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Outcomes that arrived (SK_ID_CURR, TARGET): a file for --current, a folder of "
            "<batch>/oracle.csv for --series.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Report folder (default: a dated folder under reports/monitoring).",
            show_default=False,
        ),  # fmt: skip
    ] = None,
    fail_on_drift: Annotated[
        bool,
        typer.Option("--fail-on-drift", help="Exit with code 3 when the report says 'action required'."),
    ] = False,
    params: Annotated[
        Path, typer.Option("--params", help="The pipeline's parameters (generated from conf/).")
    ] = Path("params.yaml"),
    overrides: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[KEY=VALUE]...",
            help="Overrides of params.yaml, e.g. monitoring.policy.max_drifted_share=0.1",
            show_default=False,
        ),  # fmt: skip
    ] = None,
) -> None:
    """Compare the champion's training population with a production population: drift, PSI, performance.

    Without --current or --series this is the `monitor` stage of `dvc repro` (reports/drift, model card).
    Exit codes: 0 done, 1 failed (bad input, no champion), 2 bad argument, 3 action required (--fail-on-drift).

    Examples:

        credit-scoring monitor --current new_applicants.csv --fail-on-drift

        credit-scoring batches && credit-scoring monitor --series artifacts/batches/production --labels artifacts/batches/oracle
    """
    try:
        if current is not None and series is not None:
            raise UsageProblem("--current and --series cannot be used together")
        for option, path in (
            ("--current", current),
            ("--series", series),
            ("--labels", labels),
            ("--params", params),
        ):
            if path is not None and not path.exists():
                raise UsageProblem(f"{option} {escape(str(path))} does not exist")
        if series is not None and not series.is_dir():
            raise UsageProblem(f"--series {escape(str(series))} must be a folder of batch folders")
        if series is not None and labels is not None and not labels.is_dir():
            raise UsageProblem(
                f"--labels {escape(str(labels))} must be a folder (one subfolder per batch) with --series"
            )
        if series is None and labels is not None and not labels.is_file():
            raise UsageProblem(f"--labels {escape(str(labels))} must be a file with --current")
        bad = [o for o in overrides or [] if "=" not in o]
        if bad:
            raise UsageProblem(f"overrides must look like KEY=VALUE, got {escape(repr(bad[0]))}")
    except UsageProblem as problem:
        fail(str(problem))

    from credit_scoring.config import load_config
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.monitoring.policy import exit_code
    from credit_scoring.stages.monitor import monitor as run_monitor
    from credit_scoring.stages.monitor import monitor_series

    def log(message: str) -> None:
        console.print(f"[dim]\\[monitor][/] {escape(message)}", highlight=False)

    try:
        cfg = load_config(params, overrides or [])
        if series is not None:
            monitor_series(cfg, series, labels, out, log=log)
            return
        result = run_monitor(cfg, current=current, labels=labels, out_dir=out, log=log)
    except CreditScoringError as exc:
        err_console.print(f"[bold red]Failed:[/] [red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    code = exit_code(result.verdict, fail_on_drift)
    if code:
        err_console.print(f"[bold red]{escape(result.verdict.status)}[/]: exit code {code} (--fail-on-drift)")
        raise typer.Exit(code)


def reports(
    folder: Annotated[Path, typer.Option("--dir", help="The reports folder.")] = Path("reports"),
) -> None:
    """Rewrite the auditors' index page (FOLDER/index.html): every report in FOLDER, newest first."""
    if not folder.is_dir():
        fail(f"--dir {escape(str(folder))} is not a folder (run the pipeline first: make run)")
    from credit_scoring.monitoring.index import list_reports, write_index

    path = write_index(folder)
    console.print(f"{len(list_reports(folder))} reports listed in {escape(str(path))}")


def drift_check(
    reference: Annotated[
        Path,
        typer.Argument(metavar="REFERENCE", help="The reference rows (Parquet or CSV).", show_default=False),
    ],
    current: Annotated[
        Path,
        typer.Argument(metavar="CURRENT", help="The production rows (Parquet or CSV).", show_default=False),
    ],
    score_column: Annotated[
        str | None,
        typer.Option("--score-column", help="The predicted probability column, if any.", show_default=False),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="The report folder.")] = Path("reports/drift"),
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A monitoring YAML (default: built-in defaults).", show_default=False),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="A column to leave out (repeatable).", show_default=False),
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit with code 3 when action is required.")
    ] = False,
) -> None:
    """Drift check of one production batch against a reference, without the pipeline or the champion.

    REFERENCE and CURRENT are Parquet or CSV files. Writes OUT/summary.json and OUT/report.html (PSI of every
    common column, the policy verdict; no Evidently, no MLflow: those need the champion, see
    `credit-scoring monitor`) and refreshes the index of OUT's parent folder.
    Exit codes: 0 done, 1 bad input or configuration, 2 bad argument, 3 action required (--fail-on-drift).
    """
    from credit_scoring.config.monitoring import load_monitoring
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.monitoring.drift import bin_table, drift_table
    from credit_scoring.monitoring.drift_report import write_drift_report
    from credit_scoring.monitoring.index import write_index
    from credit_scoring.monitoring.policy import evaluate_policy, exit_code
    from credit_scoring.monitoring.populations import read_rows

    try:
        cfg = load_monitoring(config)
        ref, cur = read_rows(reference), read_rows(current)
        score = score_column
        if score and (score not in ref.columns or score not in cur.columns):
            raise CreditScoringError(f"score column {score!r} is not in both files")
        skip = {*(exclude or []), *([score] if score else [])}
        columns = [c for c in ref.columns if c in set(cur.columns) and c not in skip]
        if not columns:
            raise CreditScoringError("the two files have no column in common")
        table = drift_table(ref, cur, columns, score_column=score, cfg=cfg)
        verdict = evaluate_policy(table, cfg.policy)
        meta = {
            "reference": str(reference),
            "reference_rows": len(ref),
            "current": str(current),
            "current_rows": len(cur),
        }
        bins = bin_table(ref, cur, score, cfg.psi) if score else None
        paths = write_drift_report(out, table, verdict, cfg, metadata=meta, score_bins=bins)
        write_index(out.parent)
    except CreditScoringError as exc:
        print(f"[monitor] FAILED: {exc}", file=sys.stderr)
        raise typer.Exit(DRIFT_CHECK_FAILED) from None
    drifted = int(table.loc[table["role"] == "feature", "drifted"].sum())
    print(f"[monitor] {drifted} of {len(columns)} features drifted; {verdict.status}")
    for reason in verdict.reasons:
        print(f"[monitor]   - {reason}")
    print(f"[monitor] wrote {paths['summary']} and {paths['html']}")
    code = exit_code(verdict, fail_on_drift)
    if code:
        raise typer.Exit(code)
