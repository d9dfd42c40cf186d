"""The `credit-scoring` command (pyproject: `credit-scoring = "credit_scoring.cli.main:app"`): the typer app,
its version option and the registration of the commands, one module per command group.

Every command follows the contract of :mod:`credit_scoring.cli.common` (arguments checked before any long
work, one red line and exit code 2 for a bad argument). A new command is a function in a module of this
package, registered below with ``app.command()``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from credit_scoring import __version__
from credit_scoring.cli.common import console
from credit_scoring.cli.dataset import app as dataset_app
from credit_scoring.cli.generate import batches, generate
from credit_scoring.cli.monitor import monitor, reports
from credit_scoring.cli.promote import promote
from credit_scoring.cli.serve import serve
from credit_scoring.cli.tracking import app as tracking_app

app = typer.Typer(
    name="credit-scoring",
    rich_markup_mode="markdown",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"credit-scoring {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", is_eager=True, callback=_show_version),
    ] = False,
) -> None:
    """Credit-scoring MLOps pipeline on the Home Credit Default Risk schema.

    Start with `credit-scoring generate` to create the embedded default dataset (data/raw, data/oracle).
    Every command has its own --help.
    """


for command in (generate, batches, monitor, reports, promote, serve):
    app.command()(command)
app.add_typer(dataset_app, name="dataset")
app.add_typer(tracking_app, name="tracking")


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="credit-scoring")
