"""The fault corpus of a stage: a refused data drop, kill -9 then rerun, two runs at once, a full disk.

Each case runs the real entry point (`pipelines/ingest.py`) in a subprocess and asserts the exit code, the one
line on stderr, no traceback, no half-written output and the previous good output byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.io.atomic import folder_lock

pytestmark = pytest.mark.integration

POLL_SECONDS = 0.01
WAIT_SECONDS = 120  # for a stage to reach its staging folder on a loaded machine


def digest(folder: Path) -> dict[str, str]:
    """md5 of every file under `folder`, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*") if not p.name.endswith(".lock"))


@pytest.fixture
def project(tiny_raw: Path, tmp_path: Path, repo_root: Path):
    """raw: a copy of the tiny CSVs; out: the ingest folder; ingest(*extra) starts the entry point."""
    raw = tmp_path / "raw"
    shutil.copytree(tiny_raw, raw)
    out = tmp_path / "artifacts" / "ingest"

    def start(*extra: str, folder: Path = out) -> subprocess.Popen[str]:
        args = [sys.executable, "pipelines/ingest.py", *extra, f"paths.raw={raw}", f"paths.ingest={folder}"]
        return subprocess.Popen(
            args, cwd=repo_root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def ingest(*extra: str, folder: Path = out) -> subprocess.CompletedProcess[str]:
        proc = start(*extra, folder=folder)
        stdout, stderr = proc.communicate(timeout=600)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)

    return raw, out, start, ingest


def wait_for_staging(out: Path, proc: subprocess.Popen[str]) -> None:
    """Until the stage has written a first table into its staging folder."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if any(any(s.glob("*.parquet")) for s in out.parent.glob(f".{out.name}.staging-*")):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(POLL_SECONDS)
    pytest.fail("the stage never reached its staging folder")


def corrupt_bureau(raw: Path) -> None:
    df = pd.read_csv(raw / "bureau.csv", dtype=str, keep_default_na=False)
    df.loc[1, "AMT_CREDIT_SUM"] = "abc"
    df.to_csv(raw / "bureau.csv", index=False)


def test_a_refused_drop_keeps_the_last_good_output(project) -> None:
    raw, out, _, ingest = project
    assert ingest().returncode == 0
    before = digest(out)
    corrupt_bureau(raw)
    done = ingest()
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "[ingest] FAILED: bureau.csv: column AMT_CREDIT_SUM has 1 non-numeric value (line 3: 'abc')"
    )
    assert "Traceback" not in done.stderr
    assert digest(out) == before and leftovers(out) == []


def test_check_validates_without_writing(project) -> None:
    raw, out, _, ingest = project
    good = ingest("--check")
    assert good.returncode == 0, good.stderr
    assert f"{raw}: every table passes (nothing written)" in good.stdout
    assert not out.exists()
    corrupt_bureau(raw)
    bad = ingest("--check")
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "[ingest] FAILED: bureau.csv: column AMT_CREDIT_SUM has 1 non-numeric value (line 3: 'abc')",
        "[ingest] the raw files are refused: nothing was recorded or replaced.",
    ]
    assert not out.exists() and leftovers(out) == []


def test_kill_9_then_rerun(project) -> None:
    _, out, start, ingest = project
    assert ingest().returncode == 0
    before = digest(out)
    proc = start()
    wait_for_staging(out, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert digest(out) == before  # the killed run replaced nothing
    assert any(name.startswith(".ingest.staging-") for name in leftovers(out))
    again = ingest()
    assert again.returncode == 0, again.stderr
    assert leftovers(out) == []  # the killed run's staging folder is gone
    assert digest(out) == before  # same inputs, same bytes


def test_two_runs_at_once(project) -> None:
    """While another process writes the folder (here: this one, holding its lock as a running stage does),
    a second run fails at once and touches nothing; once the first is done, a run goes through."""
    _, out, _, ingest = project
    assert ingest().returncode == 0
    before = digest(out)
    with folder_lock(out):
        second = ingest()
    assert second.returncode == 1
    assert second.stderr.splitlines()[0] == (
        f"[ingest] FAILED: {out}: being written by another run right now (pid {os.getpid()}); wait for it to end"
    )
    assert "Traceback" not in second.stderr
    assert digest(out) == before and leftovers(out) == []
    assert ingest().returncode == 0


def _mount_tmpfs(folder: Path, kib: int) -> str | None:
    """Mount a tmpfs of `kib` KiB on `folder`; the reason when the machine does not allow it."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a small tmpfs needs root and mount(8)"
    folder.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder)], capture_output=True, text=True
    )
    return None if done.returncode == 0 else f"mount -t tmpfs failed: {done.stderr.strip()}"


def test_full_disk(project, tmp_path: Path) -> None:
    """A disk with room for one copy of the output, not two: the new run fails, the old copy stays whole."""
    _, out, _, ingest = project
    assert ingest().returncode == 0
    size_kib = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) // 1024
    disk = tmp_path / "disk"
    reason = _mount_tmpfs(disk, size_kib * 3 // 2)
    if reason:
        pytest.skip(reason)
    try:
        small = disk / "ingest"
        shutil.copytree(out, small)
        before = digest(small)
        done = ingest(folder=small)
        assert done.returncode == 1
        assert done.stderr.splitlines()[0] == f"[ingest] FAILED: No space left on device (writing {small})"
        assert "Traceback" not in done.stderr
        assert digest(small) == before and leftovers(small) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)
