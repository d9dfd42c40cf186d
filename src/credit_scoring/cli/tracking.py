"""`credit-scoring tracking migrate`: copy the local MLflow store (experiments, runs, registered models and
their aliases) to the team's tracking server, so that a user who started alone keeps their history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credit_scoring.cli.common import UsageProblem, console, err_console, fail

app = typer.Typer(no_args_is_help=True, help="The MLflow tracking store: moving to a shared server.")


@app.command()
def migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The target server, e.g. http://mlflow.team:5050 (credentials: "
            "MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD).",
            show_default=False,
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The store to copy (default: registry.tracking_uri of params.yaml, "
            "the local SQLite store; MLFLOW_TRACKING_URI is not used here).",
            show_default=False,
        ),
    ] = None,
    params: Annotated[
        Path, typer.Option("--params", help="The pipeline's parameters (generated from conf/).")
    ] = Path("params.yaml"),
) -> None:
    """Copy every experiment, run (params, metric history, tags, artifacts) and registered model (versions,
    tags, aliases) to the server; what was copied before is skipped.

    Example: MLFLOW_TRACKING_PASSWORD=... credit-scoring tracking migrate --to http://127.0.0.1:5050
    """
    try:
        if "://" not in to:
            raise UsageProblem(f"--to {escape(to)} is not a tracking server URI (http://host:port)")
        if source is None and not params.exists():
            raise UsageProblem(f"--params {escape(str(params))} does not exist")
    except UsageProblem as problem:
        fail(str(problem))

    from mlflow.exceptions import MlflowException

    from credit_scoring.config import load_config
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.tracking.migrate import migrate as run_migrate

    def log(message: str) -> None:
        console.print(f"[dim]\\[tracking][/] {escape(message)}", highlight=False)

    try:
        uri = source or load_config(params).registry.tracking_uri
        if uri.rstrip("/") == to.rstrip("/"):
            fail(f"--to {escape(to)} is the store being copied")
        run_migrate(uri, to, log=log)
    except (CreditScoringError, MlflowException) as exc:
        err_console.print(f"[bold red]Failed:[/] [red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
