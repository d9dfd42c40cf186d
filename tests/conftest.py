"""Shared fixtures of the test suite.

Tiers (markers, see [tool.pytest.ini_options] in pyproject.toml): plain unit tests are fast;
`integration` tests run real commands end to end on small or default data; `slow` ones take longer.
`make test` runs all of them; `uv run pytest -m "not slow"` skips the slow ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder (where pyproject.toml, Makefile and data.dvc are)."""
    return REPO_ROOT


@pytest.fixture
def run_cli():
    """Run `credit-scoring ARGS...` in a fresh Python process (the way a user runs it) and return the result.

    Usage: ``run_cli("generate", "--help", cwd=tmp_path)``; the result has returncode, stdout and stderr.
    """

    def _run(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "credit_scoring.cli.main", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return _run
