"""A refused data drop under DVC: `ingest --check` (what `make run` calls first) refuses it before data.dvc
records it, and `dvc repro` itself keeps the last good ingest output (persist) when the stage fails."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_refused_drop_keeps_data_dvc_and_the_ingest_output(
    tmp_path: Path, repo_root: Path, tiny_raw: Path
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    for item in ("dvc.yaml", "params.yaml"):
        shutil.copy(repo_root / item, proj / item)
    for folder in ("conf", "pipelines", "src"):
        shutil.copytree(repo_root / folder, proj / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(tiny_raw, proj / "data" / "raw")
    dvc = [sys.executable, "-m", "dvc"]
    assert run([*dvc, "init", "--no-scm", "-q"], proj).returncode == 0
    assert run([*dvc, "add", "-q", "data"], proj).returncode == 0
    first = run([*dvc, "repro", "ingest"], proj)
    assert first.returncode == 0, first.stdout + first.stderr
    good = digest(proj / "artifacts" / "ingest")
    recorded = (proj / "data.dvc").read_text()

    bureau = proj / "data" / "raw" / "bureau.csv"
    df = pd.read_csv(bureau, dtype=str, keep_default_na=False)
    df.loc[1, "AMT_CREDIT_SUM"] = "abc"
    df.to_csv(bureau, index=False)
    assert run([*dvc, "status", "-q", "data.dvc"], proj).returncode == 1  # what make run looks at

    check = run([sys.executable, "pipelines/ingest.py", "--check"], proj)
    assert check.returncode == 1
    assert check.stderr.splitlines()[0] == (
        "[ingest] FAILED: bureau.csv: column AMT_CREDIT_SUM has 1 non-numeric value (line 3: 'abc')"
    )
    assert (proj / "data.dvc").read_text() == recorded  # nothing recorded
    assert digest(proj / "artifacts" / "ingest") == good

    repro = run([*dvc, "repro", "ingest"], proj)  # without make: DVC runs the stage, which fails
    assert repro.returncode != 0
    assert "bureau.csv: column AMT_CREDIT_SUM has 1 non-numeric value" in repro.stdout + repro.stderr
    assert "Traceback" not in repro.stdout + repro.stderr
    assert digest(proj / "artifacts" / "ingest") == good  # persist: DVC did not delete the last good tables
