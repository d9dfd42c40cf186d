"""What the benchmarks share: the `--sizes` option, a measured child process (wall time and its own peak
RSS), the machine note with the load average, the JSON summary and the "met" / "NOT met" verdict of a goal.

The benchmarks run as scripts (`python benchmarks/<name>.py`), so this module is imported as `common`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


# ---- --sizes ------------------------------------------------------------------------------------------------
def parse_sizes(text: str, minimum: int) -> list[int]:
    """Comma-separated integers (underscores allowed), each at least `minimum`."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < minimum:
        raise argparse.ArgumentTypeError(f"every size must be an integer of at least {minimum}, got {text!r}")
    return sizes


class _JoinSizes(argparse.Action):
    """`--sizes 30000,307511` and `--sizes 30000 307511` alike: one flat list."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, [size for part in values for size in part])


def add_sizes(parser: argparse.ArgumentParser, default: list[int], minimum: int, help: str) -> None:
    """The `--sizes` option: comma- or space-separated counts, each at least `minimum`."""
    parser.add_argument(
        "--sizes",
        type=lambda text: parse_sizes(text, minimum),
        nargs="+",
        action=_JoinSizes,
        default=list(default),
        help=help,
    )


# ---- a measured child process ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measured:
    """What a child process printed, its exit code, its wall time and its own peak RSS."""

    stdout: str
    stderr: str  # empty when stderr went to stdout
    code: int
    wall_seconds: float
    peak_rss_mb: float

    def last_json(self) -> dict[str, Any]:
        """The child's figures: its last line of output, one JSON object."""
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_measured(
    args: list[str], *, env: dict[str, str] | None = None, merge_stderr: bool = False
) -> Measured:
    """Run `args` in a fresh process; its peak RSS is its own `ru_maxrss`, read with os.wait4 on that child
    (Popen.wait would discard it). stderr goes to a file, not a pipe, so a chatty child cannot block on a full
    pipe (or to stdout with `merge_stderr`)."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else errors,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        errors.seek(0)
        stderr = errors.read()
    # ru_maxrss is in KiB on Linux
    return Measured(stdout, stderr, proc.returncode, wall, usage.ru_maxrss / 1024)


def run_child(args: list[str], failure: str, *, tail: int | None = None, env: dict[str, str] | None = None):
    """Run a measured child that prints its figures as a last JSON line: (figures, measurement).

    A failed child stops the benchmark with `failure (exit N):` and its stderr (the last `tail` characters)."""
    run = run_measured(args, env=env)
    if run.code != 0:
        raise SystemExit(f"{failure} (exit {run.code}):\n{run.stderr[-tail:] if tail else run.stderr}")
    return run.last_json(), run


# ---- what is printed beside the figures ---------------------------------------------------------------------
def load_average() -> str:
    """The 1, 5 and 15-minute load averages ("1.2 0.9 0.8"): the figures mean little on a busy machine."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine_note() -> str:
    """Python, CPUs and load average, printed under every benchmark's figures."""
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}"
    )


def met(flag: bool) -> str:
    """The verdict printed beside a goal."""
    return "met" if flag else "NOT met"


def print_results(
    runs: list[dict[str, Any]], as_json: bool, render: Callable[[list[dict[str, Any]]], None], **extra: Any
) -> None:
    """`render` the runs for people, or (`--json`) print them with the machine's figures and `extra`."""
    if not as_json:
        render(runs)
        return
    summary = {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": load_average()}
    print(json.dumps({**summary, "runs": runs, **extra}, indent=2))
