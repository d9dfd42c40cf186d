"""`credit-scoring promote`: a person makes a registered version the champion (`tracking.promotion`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from credit_scoring.cli.common import console, err_console


def promote(
    version: Annotated[str, typer.Option("--version", help="The registered version to make the champion.")],
    approver: Annotated[
        str, typer.Option("--approver", help="Who approves (not the training run's author).")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the champion history.")],
    force: Annotated[
        bool, typer.Option("--force", help="Promote a version the gate rejected (the history says so).")
    ] = False,
    params: Annotated[
        Path, typer.Option("--params", help="The pipeline's parameters (generated from conf/).")
    ] = Path("params.yaml"),
    overrides: Annotated[
        list[str] | None,
        typer.Argument(metavar="[KEY=VALUE]...", help="Overrides of params.yaml.", show_default=False),
    ] = None,
) -> None:
    """Move @champion to version N, approved by NAME, and record the move in the registry's history
    (exported to reports/champion_history.jsonl and .html). Rolling back is promoting an earlier version.

    Prints the migration matrix of the test split (rows: the grade on the master scale given by the current
    champion, columns: by version N; validation.grade_edges), kept in the history line too. Without the
    test split here (or a model that cannot score it) the line records why, and the promotion goes ahead.

    Refused (exit 1, one line): unknown version, another lineage, no gate decision, a version the gate
    rejected (without --force), the approver is the author of its training run (registry.four_eyes).
    The app picks up the new champion without a restart; `dvc repro` then reruns register and monitor.

    Example:

        credit-scoring promote --version 3 --approver j.doe --reason "validated, ticket RISK-42"
    """
    from mlflow.tracking import MlflowClient

    from credit_scoring.config import load_config
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.tracking.history import export_history
    from credit_scoring.tracking.migration import promotion_migration
    from credit_scoring.tracking.promotion import promote as promote_version
    from credit_scoring.tracking.store import tracking_uri, use_tracking_uri

    try:
        if not params.exists():
            raise CreditScoringError(f"--params {params} does not exist")
        cfg = load_config(params, overrides or [])
        uri = tracking_uri(cfg.registry)
        client = MlflowClient(uri, uri)
        use_tracking_uri(uri)  # the models:/ URIs of the migration's two versions
        line = promote_version(client, cfg.registry, version, approver=approver, reason=reason,
                               dataset=cfg.dataset.name, force=force,
                               migration=functools.partial(promotion_migration, cfg))  # fmt: skip
        export_history(client, cfg.registry.model_name, cfg.monitoring.report.reports_dir)
    except CreditScoringError as exc:
        err_console.print(
            f"[bold red]Refused:[/] [red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1) from None
    console.print(
        f"{escape(cfg.registry.model_name)} @{escape(cfg.registry.alias)}: version "
        f"{line['from_version'] or '-'} -> {line['to_version']}, approved by {escape(approver)}",
        highlight=False,
    )
    print_migration(line.get("migration"))


def migration_heading(record: dict[str, Any]) -> str:
    """What the matrix counts: the population, its rows and the two versions."""
    return (
        f"Migration on the {record['population']} ({record['rows']:,} rows): grade by version "
        f"{record['from_version']} (rows) -> version {record['to_version']} (columns)"
    )


def migration_table(record: dict[str, Any]) -> Table:
    """The migration matrix as a rich table: a row per champion grade, a column per promoted grade, totals."""
    matrix = record["matrix"]
    grades = range(1, len(matrix) + 1)
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)  # 12 columns in 80 characters
    for header in ("grade", *(str(g) for g in grades), "total"):
        table.add_column(header, justify="right", no_wrap=True)
    for g, row in zip(grades, matrix, strict=True):
        cells = [f"[bold]{n}[/]" if i == g and n else (str(n) if n else "[dim]0[/]")
                 for i, n in zip(grades, row, strict=True)]  # fmt: skip
        table.add_row(f"[bold]{g}[/]", *cells, f"[bold]{sum(row)}[/]")
    table.add_row("total", *(str(sum(col)) for col in zip(*matrix, strict=True)), str(record["rows"]),
                  style="bold")  # fmt: skip
    return table


def print_migration(record: dict[str, Any] | None) -> None:
    """The migration matrix of the promotion and its summary; or why there is none."""
    if record is None:
        console.print("No champion before: no migration matrix.", highlight=False)
    elif "error" in record:
        err_console.print(
            f"[yellow]No migration matrix (recorded in the history): {escape(record['error'])}[/]",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print(escape(migration_heading(record)), highlight=False, soft_wrap=True)
        console.print(migration_table(record))
        s = record["summary"]
        console.print(
            f"same grade {s['same']:.1%}, within one grade {s['within_one']:.1%}, better grade "
            f"{s['upgraded']:.1%}, worse grade {s['downgraded']:.1%}",
            highlight=False,
        )
