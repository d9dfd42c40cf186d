"""Command-line interface: `credit-scoring COMMAND --help`.

One typer app, one function per command. Every command follows the same contract:

* arguments are checked (and output folders proven writable) *before* any long work starts;
* a bad argument prints one red line naming the option or path and exits with code 2, never a traceback;
* progress goes to the terminal through rich, results are summarised in a table.

Later pipeline commands (ingest, merge, features, train, monitor, ...) are added as further
``@app.command()`` functions reusing the helpers below (``_fail``, ``_parse_int``, ``_prepare_dirs``).
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import math
import os
import tempfile
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from credit_scoring import __version__

USAGE_ERROR = 2  # exit code of every bad-argument error, as for click's own usage errors
# progress() calls of one generation (sizes the bar; the bar grows if there are more)
EXPECTED_GENERATION_STEPS = 16

app = typer.Typer(
    name="credit-scoring",
    rich_markup_mode="markdown",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

console = Console()
err_console = Console(stderr=True)


class _UsageProblem(Exception):
    """A bad argument; turned into one red line and exit code 2 by `_fail`."""


def _fail(message: str) -> NoReturn:
    """Print one red error line (markup already escaped by the caller) and exit with the usage-error code."""
    err_console.print(f"[bold red]Error:[/] [red]{message}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(USAGE_ERROR)


def _parse_int(value: str, option: str, *, minimum: int) -> int:
    """Parse an integer option given as text, so that a non-integer gets our one-line error, not a usage box."""
    text = value.strip().replace("_", "")
    try:
        number = int(text)
    except ValueError:
        raise _UsageProblem(f"{option} must be an integer, got {escape(repr(value))}") from None
    if number < minimum:
        raise _UsageProblem(f"{option} must be at least {minimum:,}, got {number:,}")
    return number


def _parse_drift(items: list[str]) -> dict[str, float]:
    """Parse repeated ``--drift COL=SHIFT`` options into {column: shift in standard deviations}."""
    drift: dict[str, float] = {}
    for item in items:
        col, sep, shift_text = item.partition("=")
        col, shift_text = col.strip(), shift_text.strip()
        if not sep or not col or not shift_text:
            raise _UsageProblem(
                f"--drift expects COL=SHIFT (e.g. AMT_INCOME_TOTAL=0.3), got {escape(repr(item))}"
            )
        try:
            shift = float(shift_text)
        except ValueError:
            raise _UsageProblem(
                f"--drift {escape(col)}: SHIFT must be a number of standard deviations, got {escape(repr(shift_text))}"
            ) from None
        if not math.isfinite(shift):
            raise _UsageProblem(f"--drift {escape(col)}: SHIFT must be finite, got {escape(shift_text)}")
        if col in drift:
            raise _UsageProblem(f"--drift {escape(col)} is given twice")
        drift[col] = shift
    return drift


def _check_drift_columns(drift: dict[str, float]) -> None:
    allowed = _drift_columns()
    if allowed is None:
        return
    for col in drift:
        if col not in allowed:
            close = difflib.get_close_matches(col, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise _UsageProblem(f"--drift {escape(col)} is not a column of application_test{hint}")


def _drift_columns() -> set[str] | None:
    """Columns a drift may be planted in (application_test's, minus the key); None if the spec is unreadable."""
    try:
        from credit_scoring.generator.spec import load_spec

        return set(load_spec()["application_test"].column_names) - {"SK_ID_CURR"}
    except Exception:  # the generator reports an unknown column itself; this is only an early check
        return None


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_dir_target(path: Path, option: str) -> None:
    """Refuse, without touching the disk, a folder that obviously cannot be created or written."""
    shown = escape(str(path))
    if path.exists() and not path.is_dir():
        raise _UsageProblem(f"{option} {shown} is an existing file, not a folder")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise _UsageProblem(
            f"{option} {shown} cannot be created: {escape(str(base))} is a file, not a folder"
        )
    if not os.access(base, os.W_OK | os.X_OK):
        raise _UsageProblem(f"{option} {shown} is not writable (no write permission on {escape(str(base))})")


def _prepare_dirs(targets: dict[str, Path]) -> list[Path]:
    """Create every output folder and prove it writable with a probe file, before any long work.

    Returns the folders it created (outermost first), for `_remove_dirs` should a later check fail.
    On failure, the folders this call created are removed again (nothing is left behind) and a
    `_UsageProblem` names the option and path.
    """
    for option, path in targets.items():
        _check_dir_target(path, option)
    created: list[Path] = []  # folders made by this call, outermost first
    try:
        for option, path in targets.items():
            problem = f"{option} {escape(str(path))} cannot be created or written"
            missing = list(itertools.takewhile(lambda p: not p.exists(), (path, *path.parents)))
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                created.extend(p for p in reversed(missing) if p.is_dir())
                raise _UsageProblem(f"{problem}: {escape(exc.strerror or str(exc))}") from None
            created.extend(reversed(missing))
            try:
                with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
                    pass
            except OSError as exc:
                raise _UsageProblem(f"{problem}: {escape(exc.strerror or str(exc))}") from None
    except _UsageProblem:
        _remove_dirs(created)
        raise
    return created


def _remove_dirs(created: list[Path]) -> None:
    """Remove the (still empty) folders `_prepare_dirs` created, innermost first."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _is_within(inner: Path, outer: Path) -> bool:
    inner, outer = inner.resolve(), outer.resolve()
    return inner == outer or outer in inner.parents


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


@app.command()
def generate(
    applicants: Annotated[
        str,
        typer.Option(
            "--applicants",
            "-n",
            metavar="INTEGER",
            help="Rows of application_train (application_test gets the real test/train ratio, ~16%).",
            show_default=True,
        ),
    ] = "30000",
    seed: Annotated[
        str,
        typer.Option("--seed", "-s", metavar="INTEGER", help="Random seed: same seed and size, same bytes."),
    ] = "42",
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder receiving the 8 Home Credit CSVs (the folder the pipeline reads)."
        ),
    ] = Path("data/raw"),
    oracle_dir: Annotated[
        Path,
        typer.Option(
            "--oracle-dir",
            help="Folder receiving oracle.csv (true default probabilities) and drift_manifest.json; "
            "kept outside --out so the pipeline never sees the answers.",
        ),
    ] = Path("data/oracle"),
    drift: Annotated[
        list[str] | None,
        typer.Option(
            "--drift",
            metavar="COL=SHIFT",
            help="Plant a drift in application_test: shift COL by SHIFT standard deviations. Repeatable; "
            "when given, replaces the default drift.",
            show_default=False,
        ),
    ] = None,
    no_drift: Annotated[
        bool,
        typer.Option(
            "--no-drift", help="Plant no drift: application_test follows the training distribution."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display and no summary table.")
    ] = False,
) -> None:
    """Generate the embedded Home Credit-shaped dataset (deterministic, with a planted signal).

    Writes the 8 Home Credit CSVs (application_train/test, bureau, bureau_balance, previous_application,
    POS_CASH_balance, credit_card_balance, installments_payments) into --out, and the oracle (each
    applicant's true default probability) plus the drift manifest into --oracle-dir.

    The defaults make the project's default dataset, the one recorded in data.dvc.
    To use the real Kaggle files instead, put them in data/raw and skip this command.

    Examples:

        credit-scoring generate

        credit-scoring generate -n 5000 --seed 7 --out /tmp/hc/raw --oracle-dir /tmp/hc/oracle

        credit-scoring generate --drift AMT_INCOME_TOTAL=0.5 --drift EXT_SOURCE_3=-0.4
    """
    targets = {"--out": out, "--oracle-dir": oracle_dir}
    try:  # the cheap checks first: no heavy import before a typo is reported
        n_applicants = _parse_int(applicants, "--applicants", minimum=1)
        seed_value = _parse_int(seed, "--seed", minimum=0)
        if drift and no_drift:
            raise _UsageProblem("--drift and --no-drift cannot be used together")
        drift_values = {} if no_drift else (_parse_drift(drift) if drift else None)
        if _is_within(oracle_dir, out):
            raise _UsageProblem(
                f"--oracle-dir {escape(str(oracle_dir))} must be outside --out {escape(str(out))}: "
                "the pipeline must not read the oracle"
            )
        created = _prepare_dirs(targets)
    except _UsageProblem as problem:
        _fail(str(problem))

    # pandas, scipy and scikit-learn: a few seconds to import.
    from credit_scoring.generator import GeneratorConfig, GeneratorError
    from credit_scoring.generator import generate as run_generator

    try:
        settings: dict = {"applicants": n_applicants, "seed": seed_value}
        if drift_values is not None:
            _check_drift_columns(drift_values)
            settings["drift"] = drift_values
        try:
            cfg = GeneratorConfig(**settings)
        except ValueError as exc:
            message = escape(str(exc))
            for field, option in (("applicants", "--applicants"), ("seed", "--seed"), ("drift", "--drift")):
                if message.startswith(f"{field} "):
                    message = f"{option} {message.removeprefix(field + ' ')}"
                    break
            raise _UsageProblem(message) from None
    except _UsageProblem as problem:
        _remove_dirs(created)
        _fail(str(problem))

    try:
        if quiet:
            result = run_generator(cfg, out_dir=out, oracle_dir=oracle_dir, progress=None)
        else:
            result = _generate_with_progress(run_generator, cfg, out, oracle_dir)
    except GeneratorError as exc:
        _fail(escape(str(exc)))
    except KeyboardInterrupt:
        err_console.print("[bold red]Interrupted:[/] [red]the output folders may hold partial files.[/]")
        raise typer.Exit(130) from None

    if not quiet:
        console.print(_summary_table(result))


def _generate_with_progress(run_generator, cfg, out: Path, oracle_dir: Path):
    """Run the generator under a rich spinner + bar advanced at each progress() call."""
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(
            f"Generating {cfg.applicants:,} applicants (seed {cfg.seed})", total=EXPECTED_GENERATION_STEPS
        )

        def on_progress(message: str) -> None:
            done = bar.tasks[0].completed + 1
            total = max(bar.tasks[0].total or 0, done)
            bar.update(task, completed=done, total=total)
            bar.console.print(f"  [green]✓[/] {escape(str(message))}", highlight=False)

        result = run_generator(cfg, out_dir=out, oracle_dir=oracle_dir, progress=on_progress)
        done = bar.tasks[0].completed
        bar.update(task, completed=done, total=done, description="Generated")
    return result


def _fmt(value, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def _summary_table(result) -> Table:
    table = Table(title="Embedded dataset", show_header=True, header_style="bold")
    table.add_column("Item")
    table.add_column("Value")
    for name, rows in result.row_counts.items():
        table.add_row(f"{name}.csv" if not name.endswith(".csv") else name, f"{rows:,} rows")
    table.add_section()
    table.add_row("default rate (application_train)", _fmt(result.default_rate, "{:.2%}"))
    table.add_row("oracle ROC AUC (best possible)", _fmt(result.oracle_auc, "{:.4f}"))
    table.add_row("drifted columns (application_test)", ", ".join(result.drifted_columns) or "none")
    table.add_row("data", str(result.out_dir))
    table.add_row("oracle + drift manifest", str(result.oracle_dir))
    table.add_row("time", _fmt(result.seconds, "{:.1f} s"))
    return table


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="credit-scoring")


# ---- production batches and monitoring ----------------------------------------------------------------------
DEFAULT_BATCHES = Path("artifacts/batches/production")
DEFAULT_BATCH_ORACLE = Path("artifacts/batches/oracle")


@app.command()
def batches(
    months: Annotated[
        str, typer.Option("--months", "-m", metavar="INTEGER", help="Number of monthly batches.")
    ] = "6",
    applicants: Annotated[
        str,
        typer.Option("--applicants", "-n", metavar="INTEGER", help="Applicants per batch (at least 100)."),
    ] = "3000",
    seed: Annotated[
        str, typer.Option("--seed", "-s", metavar="INTEGER", help="Seed of the base dataset.")
    ] = "42",
    base_applicants: Annotated[
        str,
        typer.Option(
            "--base-applicants",
            metavar="INTEGER",
            help="Size of the base dataset the batches follow (ids start after it).",
        ),
    ] = "30000",
    out: Annotated[
        Path, typer.Option("--out", help="Folder receiving month_01/, month_02/, ... (production tables).")
    ] = DEFAULT_BATCHES,
    oracle_dir: Annotated[
        Path,
        typer.Option(
            "--oracle-dir", help="Folder receiving each month's outcomes (labels that arrive later)."
        ),
    ] = DEFAULT_BATCH_ORACLE,
) -> None:
    """Generate monthly production batches whose drift grows month by month (for `monitor --series`).

    Month m carries m/months of the default dataset's planted drift; each month folder holds
    application_test.csv and the side tables of its applicants; the outcomes go to --oracle-dir/month_NN/.

    Example:

        credit-scoring batches --months 6 --applicants 3000
    """
    try:
        n_months = _parse_int(months, "--months", minimum=1)
        n_applicants = _parse_int(applicants, "--applicants", minimum=100)
        seed_value = _parse_int(seed, "--seed", minimum=0)
        n_base = _parse_int(base_applicants, "--base-applicants", minimum=1)
        if _is_within(oracle_dir, out):
            raise _UsageProblem(
                f"--oracle-dir {escape(str(oracle_dir))} must be outside --out {escape(str(out))}"
            )
        for option, path in (("--out", out), ("--oracle-dir", oracle_dir)):
            if path.is_dir() and any(path.iterdir()):
                raise _UsageProblem(
                    f"{option} {escape(str(path))} is not empty: remove it or choose another folder"
                )
        created = _prepare_dirs({"--out": out, "--oracle-dir": oracle_dir})
    except _UsageProblem as problem:
        _fail(str(problem))

    from credit_scoring.generator import GeneratorConfig, GeneratorError
    from credit_scoring.generator.core import generate_batches

    try:
        cfg = GeneratorConfig(applicants=n_base, seed=seed_value)
        with console.status("generating batches...") as status:
            written = generate_batches(
                cfg, n_months, n_applicants, out, oracle_dir, progress=lambda m: status.update(m)
            )
    except (GeneratorError, ValueError) as exc:
        _remove_dirs(created)
        _fail(escape(str(exc)))
    console.print(f"wrote {len(written)} batches of {n_applicants:,} applicants into {escape(str(out))}")


@app.command()
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
            raise _UsageProblem("--current and --series cannot be used together")
        for option, path in (
            ("--current", current),
            ("--series", series),
            ("--labels", labels),
            ("--params", params),
        ):
            if path is not None and not path.exists():
                raise _UsageProblem(f"{option} {escape(str(path))} does not exist")
        if series is not None and not series.is_dir():
            raise _UsageProblem(f"--series {escape(str(series))} must be a folder of batch folders")
        if series is not None and labels is not None and not labels.is_dir():
            raise _UsageProblem(
                f"--labels {escape(str(labels))} must be a folder (one subfolder per batch) with --series"
            )
        if series is None and labels is not None and not labels.is_file():
            raise _UsageProblem(f"--labels {escape(str(labels))} must be a file with --current")
        bad = [o for o in overrides or [] if "=" not in o]
        if bad:
            raise _UsageProblem(f"overrides must look like KEY=VALUE, got {escape(repr(bad[0]))}")
    except _UsageProblem as problem:
        _fail(str(problem))

    from credit_scoring.config.schema import load_config
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


@app.command()
def reports(
    folder: Annotated[Path, typer.Option("--dir", help="The reports folder.")] = Path("reports"),
) -> None:
    """Rewrite the auditors' index page (FOLDER/index.html): every report in FOLDER, newest first."""
    if not folder.is_dir():
        _fail(f"--dir {escape(str(folder))} is not a folder (run the pipeline first: make run)")
    from credit_scoring.monitoring.report import list_reports, write_index

    path = write_index(folder)
    console.print(f"{len(list_reports(folder))} reports listed in {escape(str(path))}")
