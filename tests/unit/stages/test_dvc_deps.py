"""dvc.yaml's deps are exactly the code each stage imports: what changed reruns, nothing else does.

For every stage, the import closure of its script (`python pipelines/<stage>.py`) over src/ is computed
with `ast` (every `import` and `from ... import`, function-level ones included, every parent package's
``__init__``), and compared with the stage's deps under src/ and pipelines/: a file the stage imports
must be covered by a dep (the file, or a folder holding it), and a dep must cover only files it imports
(a folder dep: all of its .py files).
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "credit_scoring"
SRC = ROOT / "src"
CODE_ROOTS = ("src/", "pipelines/")


def module_file(module: str) -> Path | None:
    """The file of a module of the package (``a.b`` -> src/a/b.py or src/a/b/__init__.py), None if none."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Package modules a file imports (``from m import x`` counts m.x too when x is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != PACKAGE:
                continue
            found.add(node.module)
            found.update(
                f"{node.module}.{a.name}" for a in node.names if module_file(f"{node.module}.{a.name}")
            )
    return found


def closure(script: Path) -> set[Path]:
    """Every src/ file that running `script` can import (parents' __init__ included)."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        for module in imported_modules(path):
            parts = module.split(".")
            for i in range(1, len(parts) + 1):
                file = module_file(".".join(parts[:i]))
                if file is not None and file not in seen:
                    seen.add(file)
                    todo.append(file)
    return seen


def check_stage(stage: dict) -> list[str]:
    """Problems of one stage's code deps (empty when they are exact)."""
    script = ROOT / stage["cmd"].split()[-1]
    needed = {script, *closure(script)}
    deps = [ROOT / d for d in stage.get("deps", []) if str(d).startswith(CODE_ROOTS)]
    problems = []
    for file in sorted(needed):
        if not any(file == d or d in file.parents for d in deps):
            problems.append(f"imports {file.relative_to(ROOT)} but no dep covers it")
    for dep in deps:
        covered = {dep} if dep.is_file() else set(dep.rglob("*.py"))
        if not dep.exists():
            problems.append(f"dep {dep.relative_to(ROOT)} does not exist")
        elif not covered & needed or (dep.is_dir() and not covered <= needed):
            extra = sorted(str(f.relative_to(ROOT)) for f in covered - needed)[:5]
            problems.append(f"dep {dep.relative_to(ROOT)} covers files the stage never imports: {extra}")
    return problems


def stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


@pytest.mark.parametrize("name", list(stages()))
def test_code_deps_are_the_import_closure(name: str) -> None:
    problems = check_stage(stages()[name])
    assert not problems, f"dvc.yaml stage {name}:\n  " + "\n  ".join(problems)


def test_removing_a_dep_is_caught() -> None:
    """The check itself can fail: drop each code dep of the train stage in turn."""
    train = stages()["train"]
    code = [d for d in train["deps"] if str(d).startswith("src/")]
    assert code, "the train stage lists no code deps"
    for dep in code:
        broken = copy.deepcopy(train)
        broken["deps"].remove(dep)
        assert any("no dep covers it" in p for p in check_stage(broken)), dep


def test_an_unused_dep_is_caught() -> None:
    ingest = copy.deepcopy(stages()["ingest"])
    ingest["deps"].append("src/credit_scoring/serving")
    assert any("never imports" in p for p in check_stage(ingest))


def test_closure_follows_function_level_imports(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("def f():\n    from credit_scoring.stages.runner import run_main\n")
    files = {f.relative_to(SRC).as_posix() for f in closure(script)}
    assert {"credit_scoring/__init__.py", "credit_scoring/stages/__init__.py"} <= files
    assert "credit_scoring/stages/runner.py" in files and "credit_scoring/config/loader.py" in files
