"""`credit-scoring generate` (the embedded dataset) and `credit-scoring batches` (monthly production batches)."""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated

import typer
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

from credit_scoring.cli.common import (
    UsageProblem,
    console,
    err_console,
    fail,
    int_option,
    is_within,
    parse_int,
    prepare_dirs,
    remove_dirs,
)

# progress() calls of one generation (sizes the bar; the bar grows if there are more)
EXPECTED_GENERATION_STEPS = 16
DEFAULT_BATCHES = Path("artifacts/batches/production")
DEFAULT_BATCH_ORACLE = Path("artifacts/batches/oracle")


def generate(
    applicants: Annotated[
        str,
        int_option(
            "--applicants",
            "-n",
            help="Rows of application_train (application_test gets the real test/train ratio, ~16%).",
            show_default=True,
        ),
    ] = "30000",
    seed: Annotated[
        str, int_option("--seed", "-s", help="Random seed: same seed and size, same bytes.")
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
        n_applicants = parse_int(applicants, "--applicants", minimum=1)
        seed_value = parse_int(seed, "--seed", minimum=0)
        if drift and no_drift:
            raise UsageProblem("--drift and --no-drift cannot be used together")
        drift_values = {} if no_drift else (_parse_drift(drift) if drift else None)
        if is_within(oracle_dir, out):
            raise UsageProblem(
                f"--oracle-dir {escape(str(oracle_dir))} must be outside --out {escape(str(out))}: "
                "the pipeline must not read the oracle"
            )
        created = prepare_dirs(targets)
    except UsageProblem as problem:
        fail(str(problem))

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
            raise UsageProblem(message) from None
    except UsageProblem as problem:
        remove_dirs(created)
        fail(str(problem))

    try:
        if quiet:
            result = run_generator(cfg, out_dir=out, oracle_dir=oracle_dir, progress=None)
        else:
            result = _generate_with_progress(run_generator, cfg, out, oracle_dir)
    except GeneratorError as exc:
        fail(escape(str(exc)))
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


def _parse_drift(items: list[str]) -> dict[str, float]:
    """Parse repeated ``--drift COL=SHIFT`` options into {column: shift in standard deviations}."""
    drift: dict[str, float] = {}
    for item in items:
        col, sep, shift_text = item.partition("=")
        col, shift_text = col.strip(), shift_text.strip()
        if not sep or not col or not shift_text:
            raise UsageProblem(
                f"--drift expects COL=SHIFT (e.g. AMT_INCOME_TOTAL=0.3), got {escape(repr(item))}"
            )
        try:
            shift = float(shift_text)
        except ValueError:
            raise UsageProblem(
                f"--drift {escape(col)}: SHIFT must be a number of standard deviations, got {escape(repr(shift_text))}"
            ) from None
        if not math.isfinite(shift):
            raise UsageProblem(f"--drift {escape(col)}: SHIFT must be finite, got {escape(shift_text)}")
        if col in drift:
            raise UsageProblem(f"--drift {escape(col)} is given twice")
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
            raise UsageProblem(f"--drift {escape(col)} is not a column of application_test{hint}")


def _drift_columns() -> set[str] | None:
    """Columns a drift may be planted in (application_test's, minus the key); None if the spec is unreadable."""
    try:
        from credit_scoring.generator.spec import load_spec

        return set(load_spec()["application_test"].column_names) - {"SK_ID_CURR"}
    except Exception:  # the generator reports an unknown column itself; this is only an early check
        return None


def batches(
    months: Annotated[str, int_option("--months", "-m", help="Number of monthly batches.")] = "6",
    applicants: Annotated[
        str, int_option("--applicants", "-n", help="Applicants per batch (at least 100).")
    ] = "3000",
    seed: Annotated[str, int_option("--seed", "-s", help="Seed of the base dataset.")] = "42",
    base_applicants: Annotated[
        str,
        int_option(
            "--base-applicants", help="Size of the base dataset the batches follow (ids start after it)."
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
        n_months = parse_int(months, "--months", minimum=1)
        n_applicants = parse_int(applicants, "--applicants", minimum=100)
        seed_value = parse_int(seed, "--seed", minimum=0)
        n_base = parse_int(base_applicants, "--base-applicants", minimum=1)
        if is_within(oracle_dir, out):
            raise UsageProblem(
                f"--oracle-dir {escape(str(oracle_dir))} must be outside --out {escape(str(out))}"
            )
        for option, path in (("--out", out), ("--oracle-dir", oracle_dir)):
            if path.is_dir() and any(path.iterdir()):
                raise UsageProblem(
                    f"{option} {escape(str(path))} is not empty: remove it or choose another folder"
                )
        created = prepare_dirs({"--out": out, "--oracle-dir": oracle_dir})
    except UsageProblem as problem:
        fail(str(problem))

    from credit_scoring.generator import GeneratorConfig, GeneratorError
    from credit_scoring.generator.core import generate_batches

    try:
        cfg = GeneratorConfig(applicants=n_base, seed=seed_value)
        with console.status("generating batches...") as status:
            written = generate_batches(
                cfg, n_months, n_applicants, out, oracle_dir, progress=lambda m: status.update(m)
            )
    except (GeneratorError, ValueError) as exc:
        remove_dirs(created)
        fail(escape(str(exc)))
    console.print(f"wrote {len(written)} batches of {n_applicants:,} applicants into {escape(str(out))}")
