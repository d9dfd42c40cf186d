"""The house rules that keep the layout readable: the layers contract, module size, one docstring per room."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "credit_scoring"
MAX_LINES = 450  # no module in src/ or app/ longer than this


def test_import_layers_contract_is_kept() -> None:
    """`lint-imports` (pyproject.toml [tool.importlinter]): imports only go down the layers."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed (uv sync)"
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("folder", ["src", "app"])
def test_no_module_is_longer_than_the_limit(folder: str) -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_sub_package_says_what_it_owns() -> None:
    missing = [
        str(init.relative_to(ROOT))
        for init in sorted(PACKAGE.rglob("__init__.py"))
        if not (ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "").strip()
        or "TODO" in (ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "")
    ]
    assert not missing, f"sub-packages without a docstring saying what they own: {missing}"
