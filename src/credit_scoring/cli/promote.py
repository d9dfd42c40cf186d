"""`credit-scoring promote`: a person makes a registered version the champion (`tracking.promotion`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

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
    from credit_scoring.tracking.promotion import promote as promote_version
    from credit_scoring.tracking.store import tracking_uri

    try:
        if not params.exists():
            raise CreditScoringError(f"--params {params} does not exist")
        cfg = load_config(params, overrides or [])
        uri = tracking_uri(cfg.registry)
        client = MlflowClient(uri, uri)
        line = promote_version(client, cfg.registry, version, approver=approver, reason=reason,
                               dataset=cfg.dataset.name, force=force)  # fmt: skip
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
