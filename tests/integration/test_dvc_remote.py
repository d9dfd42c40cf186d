"""`make push` to a DVC remote, a fresh clone, `make pull`: `dvc repro` then has nothing to run.

The project's tracked files are copied into a temporary git repository with a tiny generated dataset; the data
and the first stages (ingest, merge, split) are recorded there, pushed to a temporary folder remote with the
project's Makefile, and pulled into a clone. (`RUN` points make at this interpreter's environment instead of
`uv run`, which would build the clone an environment of its own.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credit_scoring.config.schema import PROJECT_ROOT
from credit_scoring.generator import GeneratorConfig, generate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STAGES = ["ingest", "merge", "split"]
TARGETS = " ".join(["data.dvc", *STAGES])


def _env() -> dict[str, str]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` of dvc.yaml
    return env


def _run(*cmd: str, cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(cmd)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _make(target: str, cwd: Path, remote: Path) -> str:
    run = f"{sys.executable} -m"
    return _run("make", target, f"RUN={run}", f"DVC_REMOTE={remote}", f"DVC_TARGETS={TARGETS}", cwd=cwd)


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git")
def test_push_then_pull_in_a_fresh_clone_leaves_nothing_to_run(tmp_path: Path) -> None:
    first, remote, clone = tmp_path / "first", tmp_path / "remote", tmp_path / "clone"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_file():
            (first / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, first / name)
    generate(GeneratorConfig(applicants=300, seed=3), first / "data" / "raw", first / "data" / "oracle")
    _run("git", "init", "-q", cwd=first)
    _run(sys.executable, "-m", "dvc", "add", "-q", "data", cwd=first)
    _run(sys.executable, "-m", "dvc", "repro", "-q", *STAGES, cwd=first)
    _run("git", "add", "-A", cwd=first)
    _run("git", "commit", "-qm", "tiny data and the first stages", cwd=first)

    _make("push", first, remote)
    assert any(remote.rglob("*")), "nothing was pushed"
    _run("git", "clone", "-q", str(first), str(clone), cwd=tmp_path)
    assert not (clone / "data").exists() and not (clone / "artifacts").exists()
    _make("pull", clone, remote)
    for name in ("data/raw/application_train.csv", "artifacts/split/split.parquet"):
        assert (clone / name).read_bytes() == (first / name).read_bytes()
    out = _run(sys.executable, "-m", "dvc", "repro", *STAGES, cwd=clone)
    assert "Running stage" not in out and "up to date" in out, out
    status = _run(sys.executable, "-m", "dvc", "status", *STAGES, cwd=clone)
    assert "changed" not in status, status
