"""Running a stage from the command line: config from params.yaml (+ overrides), clean errors.

``python pipelines/ingest.py [--params FILE] [key=value ...]``: the dotlist overrides (e.g.
``paths.raw=/tmp/hc/raw``) are applied on top of params.yaml, for runs outside DVC (tests, benchmarks).
A project error prints one message on stderr and exits 1, without a traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from credit_scoring.config.schema import DEFAULT_PARAMS_FILE, load_config
from credit_scoring.errors import CreditScoringError

EXIT_ERROR = 1


def parse_args(argv: Sequence[str]) -> tuple[Path, list[str]]:
    """(params file, dotlist overrides) from ``[--params FILE] [key=value ...]``."""
    params, overrides = DEFAULT_PARAMS_FILE, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--params" and args:
            params = Path(args.pop(0))
        elif arg.startswith("--params="):
            params = Path(arg.split("=", 1)[1])
        elif "=" in arg and not arg.startswith("-"):
            overrides.append(arg)
        else:
            raise SystemExit(f"usage: [--params FILE] [key=value ...]; unexpected argument {arg!r}")
    return params, overrides


def main(
    name: str,
    stage: Callable[..., Any],
    argv: Sequence[str] | None = None,
    loader: Callable[[Path, list[str]], Any] = load_config,
    failure_note: str | None = "no output was written.",
) -> int:
    """Run `stage(cfg, log=...)` with the configuration `loader` reads; returns the process exit code.

    failure_note: a last line printed after a project error (None: nothing).
    """
    params, overrides = parse_args(sys.argv[1:] if argv is None else argv)

    def log(message: str) -> None:
        print(f"[{name}] {message}", flush=True)

    start = time.perf_counter()
    try:
        cfg = loader(params, overrides)
        stage(cfg, log=log)
    except CreditScoringError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        print(f"[{name}] FAILED: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"[{name}]         {line}", file=sys.stderr)
        if failure_note:
            print(f"[{name}] {failure_note}", file=sys.stderr)
        return EXIT_ERROR
    log(f"done in {time.perf_counter() - start:.1f} s")
    return 0
