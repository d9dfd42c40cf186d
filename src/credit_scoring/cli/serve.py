"""`credit-scoring serve`: the champion behind a REST endpoint (MLflow's scoring server), loopback by
default (`serving.rest` in conf/serving/default.yaml; `make serve`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from credit_scoring.cli.common import UsageProblem, console, err_console, fail


def serve(
    params: Annotated[
        Path, typer.Option("--params", help="The pipeline's parameters (generated from conf/).")
    ] = Path("params.yaml"),
    overrides: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[KEY=VALUE]...",
            help="Overrides of params.yaml, e.g. serving.rest.port=5002",
            show_default=False,
        ),  # fmt: skip
    ] = None,
) -> None:
    """Serve the version holding the champion alias over REST until stopped (Ctrl-C).

    POST /invocations with {"dataframe_split": {"columns": [...], "data": [[...]]}} (raw applicant rows:
    application columns + side aggregates, missing ones allowed) answers probability, decision and
    threshold per row, as `mlflow.pyfunc.load_model("models:/<name>@champion").predict` does.

    Example:

        credit-scoring serve serving.rest.port=5002
    """
    try:
        if not params.exists():
            raise UsageProblem(f"--params {escape(str(params))} does not exist")
        bad = [o for o in overrides or [] if "=" not in o]
        if bad:
            raise UsageProblem(f"overrides must look like KEY=VALUE, got {escape(repr(bad[0]))}")
    except UsageProblem as problem:
        fail(str(problem))

    from mlflow import MlflowClient

    from credit_scoring.config import load_config
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.tracking.champion import require_champion
    from credit_scoring.tracking.rest import INVOCATIONS, serve_command, serve_environment, url
    from credit_scoring.tracking.store import tracking_uri

    try:
        cfg = load_config(params, overrides or [])
        uri = tracking_uri(cfg.registry, root=Path.cwd())
        ref = require_champion(MlflowClient(tracking_uri=uri, registry_uri=uri), cfg.registry, uri)
    except CreditScoringError as exc:
        err_console.print(f"[bold red]Failed:[/] [red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    rest = cfg.serving.rest
    console.print(
        f"Serving {escape(ref.name)} version {ref.version} (@{escape(ref.alias)}) on "
        f"{url(rest)}{INVOCATIONS} (Ctrl-C to stop)",
        highlight=False,
    )
    # the version that holds the alias now: a later change of the alias needs a restart
    command = serve_command(ref.version_uri, rest)
    try:
        code = subprocess.call(command, env=serve_environment(uri, dict(os.environ)))
    except KeyboardInterrupt:
        code = 0
    if code:
        raise typer.Exit(code)
