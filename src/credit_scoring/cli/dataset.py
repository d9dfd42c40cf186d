"""`credit-scoring dataset init`: infer conf/dataset/<name>.yaml from your own CSVs (see README, "Your own data")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from credit_scoring.cli.common import (
    USAGE_ERROR,
    UsageProblem,
    check_dir_target,
    console,
    err_console,
    fail,
    int_option,
    parse_int,
)

DATA_PROBLEM = 1  # exit code when the files cannot be turned into a dataset (bad arguments: 2)
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")

app = typer.Typer(
    name="dataset",
    help="Describe your own CSVs as a dataset of the pipeline: `dataset init` infers conf/dataset/NAME.yaml.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _fail_all(problems: list[str], code: int) -> NoReturn:
    for problem in problems:
        err_console.print(f"[bold red]Error:[/] [red]{escape(problem)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command("init")
def init(
    sources: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE_OR_DIR...",
            help="CSV files, or folders whose every *.csv is a table (named after the file, without .csv).",
            show_default=False,
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Dataset name: writes OUT/NAME.yaml (dataset=NAME).")],
    id_col: Annotated[str, typer.Option("--id", help="Column identifying an applicant (unique per row).")],
    target: Annotated[
        str, typer.Option("--target", help="0/1 column to predict; its table is the train table.")
    ],
    production: Annotated[
        str | None,
        typer.Option(
            "--production", metavar="TABLE", help="Table of applicants to score (train columns minus target)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder receiving NAME.yaml.")] = Path("conf/dataset"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing OUT/NAME.yaml.")] = False,
    sample_rows: Annotated[
        str,
        int_option("--sample-rows", help="Rows read per file to infer the column types.", show_default=True),
    ] = "100000",
) -> None:
    """Infer a dataset description (`conf/dataset/NAME.yaml`) from your CSVs.

    Types every column (int / float / flag / category) from a sample of each file, checks the keys and finds
    the references between tables on every row, reports suspicious "not known" values (like 365243) and
    writes one default aggregation block per side table. Problems it cannot decide (a missing file, no id
    column, an id not unique, a target not 0/1...) are listed one per line and nothing is written.
    Read the comments of the written file, then run the pipeline with `dataset=NAME`.
    """
    from credit_scoring.data.infer import InferenceError, collect_csvs

    target_file = out / f"{name}.yaml"
    try:
        rows = parse_int(sample_rows, "--sample-rows", minimum=100)
        if not NAME.match(name):
            raise UsageProblem(f"--name {escape(repr(name))}: use letters, digits, _ and - only")
        if id_col == target:
            raise UsageProblem(f"--id and --target are the same column {escape(repr(id_col))}")
        check_dir_target(out, "--out")
        if target_file.exists() and not force:
            raise UsageProblem(f"{escape(str(target_file))} already exists (--force to overwrite it)")
    except UsageProblem as problem:
        fail(str(problem))
    try:
        csvs = collect_csvs(sources)
    except InferenceError as exc:
        _fail_all(exc.problems, USAGE_ERROR)
    _infer_and_write(name, csvs, id_col, target, production, rows, target_file)


def _infer_and_write(
    name: str, csvs: dict[str, Path], id_col: str, target: str, production: str | None, rows: int, path: Path
) -> None:
    from credit_scoring.data.dataset_yaml import parse_dataset, render_dataset
    from credit_scoring.data.infer import InferenceError, infer_dataset
    from credit_scoring.errors import CreditScoringError
    from credit_scoring.io.atomic import write_text

    try:
        with console.status(f"Reading {len(csvs)} CSV file(s)..."):
            info = infer_dataset(name, csvs, id_col, target, production, sample_rows=rows)
    except InferenceError as exc:
        _fail_all(exc.problems, DATA_PROBLEM)
    except CreditScoringError as exc:
        _fail_all([str(exc)], DATA_PROBLEM)
    text = render_dataset(info, rows)
    parse_dataset(text)  # the file must load with the dataset schema
    try:
        write_text(text, path)
    except OSError as exc:
        _fail_all([f"{path}: cannot be written ({exc.strerror or exc})"], DATA_PROBLEM)

    summary = Table(title=f"dataset {name}", title_justify="left")
    for column in ("table", "rows", "columns", "key", "references", "sentinels"):
        summary.add_column(column, justify="left" if column in ("table", "key") else "right")
    for table in info.tables.values():
        summary.add_row(
            escape(table.name),
            f"{table.rows:,}",
            f"{len(table.types)}",
            escape(", ".join(table.key)) or "-",
            f"{len(table.references)}",
            f"{len(table.sentinels)}",
        )
    console.print(summary)
    console.print(
        f"Wrote [bold]{escape(str(path))}[/]: read its comments (what was inferred, what to check), then run "
        f"the pipeline with [bold]dataset={escape(name)}[/].",
        highlight=False,
    )
