"""The one runner of every stage: configuration from params.yaml (+ overrides), one log prefix, clean errors.

``python pipelines/<stage>.py [--params FILE] [KEY=VALUE ...]``: the dotlist overrides (e.g.
``paths.raw=/tmp/hc/raw``) are applied on top of params.yaml, for runs outside DVC (tests, benchmarks).
A project error, or a system one (a full disk, a folder it cannot write), prints one message on stderr and exits
1, without a traceback; a bad argument exits 2.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from credit_scoring.config import DEFAULT_PARAMS_FILE, load_config
from credit_scoring.errors import CreditScoringError

EXIT_ERROR = 1
EXIT_USAGE = 2  # a bad argument, as for typer's own usage errors
Log = Callable[[str], None]


def _command(name: str, stage: Callable[..., Any], failure_note: str | None) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.command(name=name, help=f"Run the `{name}` stage with params.yaml plus KEY=VALUE overrides.")
    def command(
        overrides: Annotated[
            list[str] | None, typer.Argument(help="dotlist overrides, e.g. paths.raw=/tmp/raw")
        ] = None,
        params: Annotated[Path, typer.Option("--params", help="configuration file")] = DEFAULT_PARAMS_FILE,
    ) -> None:
        raise typer.Exit(execute(name, stage, params, list(overrides or []), failure_note))

    return app


def execute(
    name: str, stage: Callable[..., Any], params: Path, overrides: list[str], failure_note: str | None
) -> int:
    """Load the configuration and run `stage(cfg, log=...)`; the process exit code."""
    bad = [o for o in overrides if "=" not in o or o.startswith("-")]
    if bad:
        print(
            f"[{name}] usage: [--params FILE] [KEY=VALUE ...]; unexpected argument {bad[0]!r}",
            file=sys.stderr,
        )
        return EXIT_USAGE

    def log(message: str) -> None:
        print(f"[{name}] {message}", flush=True)

    start = time.perf_counter()
    cfg = None
    try:
        cfg = load_config(params, overrides)
        stage(cfg, log=log)
    except CreditScoringError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        print(f"[{name}] FAILED: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"[{name}]         {line}", file=sys.stderr)
        if failure_note:
            print(f"[{name}] {failure_note}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a full disk, a folder without write permission: the system's words, one line
        print(
            f"[{name}] FAILED: {system_error(exc, getattr(getattr(cfg, 'paths', None), name, None))}",
            file=sys.stderr,
        )
        if failure_note:
            print(f"[{name}] {failure_note}", file=sys.stderr)
        return EXIT_ERROR
    log(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def system_error(exc: OSError, output: object | None) -> str:
    """'No space left on device (writing artifacts/ingest)': the system's reason in one line (Arrow's I/O
    errors carry the errno in their text only), the file it names or else the stage's output folder."""
    code = exc.errno
    if code is None and (found := re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)):
        code = int(found.group(1))
    reason = os.strerror(code) if code else (str(exc).splitlines() or [type(exc).__name__])[0]
    if exc.filename:
        return f"{reason}: {exc.filename}"
    return f"{reason} (writing {output})" if output else reason


def run_main(
    name: str,
    stage: Callable[..., Any],
    argv: Sequence[str] | None = None,
    failure_note: str | None = "no output was written.",
) -> int:
    """Parse ``[--params FILE] [KEY=VALUE ...]`` (default: sys.argv) and run the stage; the exit code.

    failure_note: a last line printed after a project error (None: nothing).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        _command(name, stage, failure_note)(args, prog_name=name)
    except SystemExit as done:  # typer ends with the command's code, 2 for a bad argument, 0 for --help
        return done.code if isinstance(done.code, int) else (0 if done.code is None else EXIT_ERROR)
    return 0
