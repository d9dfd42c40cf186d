"""What every `credit-scoring` command shares: the consoles and the usage-error contract.

* arguments are checked (and output folders proven writable) *before* any long work starts;
* a bad argument prints one red line naming the option or path and exits with code 2, never a traceback
  (raise :class:`UsageProblem` while checking, turn it into that line with :func:`fail`);
* progress goes to the terminal through rich, results are summarised in a table.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

USAGE_ERROR = 2  # exit code of every bad-argument error, as for click's own usage errors

console = Console()
err_console = Console(stderr=True)


class UsageProblem(Exception):
    """A bad argument; turned into one red line and exit code 2 by `fail`."""


def fail(message: str) -> NoReturn:
    """Print one red error line (markup already escaped by the caller) and exit with the usage-error code."""
    err_console.print(f"[bold red]Error:[/] [red]{message}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(USAGE_ERROR)


def int_option(*names: str, help: str, **settings: Any) -> Any:
    """An integer option read as text (metavar INTEGER): `parse_int` then gives a bad value our one-line error."""
    return typer.Option(*names, metavar="INTEGER", help=help, **settings)


def parse_int(value: str, option: str, *, minimum: int) -> int:
    """Parse an integer option given as text, so that a non-integer gets our one-line error, not a usage box."""
    text = value.strip().replace("_", "")
    try:
        number = int(text)
    except ValueError:
        raise UsageProblem(f"{option} must be an integer, got {escape(repr(value))}") from None
    if number < minimum:
        raise UsageProblem(f"{option} must be at least {minimum:,}, got {number:,}")
    return number


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_dir_target(path: Path, option: str) -> None:
    """Refuse, without touching the disk, a folder that obviously cannot be created or written."""
    shown = escape(str(path))
    if path.exists() and not path.is_dir():
        raise UsageProblem(f"{option} {shown} is an existing file, not a folder")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise UsageProblem(f"{option} {shown} cannot be created: {escape(str(base))} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise UsageProblem(f"{option} {shown} is not writable (no write permission on {escape(str(base))})")


def prepare_dirs(targets: dict[str, Path]) -> list[Path]:
    """Create every output folder and prove it writable with a probe file, before any long work.

    Returns the folders it created (outermost first), for `remove_dirs` should a later check fail.
    On failure, the folders this call created are removed again (nothing is left behind) and a
    `UsageProblem` names the option and path.
    """
    for option, path in targets.items():
        check_dir_target(path, option)
    created: list[Path] = []  # folders made by this call, outermost first
    try:
        for option, path in targets.items():
            problem = f"{option} {escape(str(path))} cannot be created or written"
            missing = list(itertools.takewhile(lambda p: not p.exists(), (path, *path.parents)))
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                created.extend(p for p in reversed(missing) if p.is_dir())
                raise UsageProblem(f"{problem}: {escape(exc.strerror or str(exc))}") from None
            created.extend(reversed(missing))
            try:
                with tempfile.NamedTemporaryFile(dir=path, prefix=".write-probe-"):
                    pass
            except OSError as exc:
                raise UsageProblem(f"{problem}: {escape(exc.strerror or str(exc))}") from None
    except UsageProblem:
        remove_dirs(created)
        raise
    return created


def remove_dirs(created: list[Path]) -> None:
    """Remove the (still empty) folders `prepare_dirs` created, innermost first."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def is_within(inner: Path, outer: Path) -> bool:
    inner, outer = inner.resolve(), outer.resolve()
    return inner == outer or outer in inner.parents
