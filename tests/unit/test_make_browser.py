"""`make test` installs chromium for the app's browser test on a fresh machine (target `browser`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FAKE_APT = '#!/bin/sh\necho "apt-get $*" >> "$APT_LOG"\n'


def make_browser(repo_root: Path, tmp_path: Path, uid: str, chromium: str) -> tuple[str, str]:
    """`make browser` with a fake apt-get (logging its arguments) and a fake `id -u`; (stdout, apt log)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "apt-get").write_text(FAKE_APT)
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    for tool in fake.iterdir():
        tool.chmod(0o755)
    log = tmp_path / "apt.log"
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "APT_LOG": str(log)}
    done = subprocess.run(
        ["make", "-s", "browser", f"CHROMIUM={chromium}"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, log.read_text() if log.exists() else ""


def test_test_target_depends_on_browser(repo_root: Path) -> None:
    rule = next(
        line for line in (repo_root / "Makefile").read_text().splitlines() if line.startswith("test:")
    )
    assert "browser" in rule.split("##")[0].split(":", 1)[1].split()


def test_missing_chromium_is_installed_as_root(repo_root: Path, tmp_path: Path) -> None:
    out, apt = make_browser(repo_root, tmp_path, "0", str(tmp_path / "no-chromium"))
    assert "browser: chromium is missing: installing it" in out
    assert apt.splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends chromium",
    ]


def test_not_root_skips_with_a_reason(repo_root: Path, tmp_path: Path) -> None:
    out, apt = make_browser(repo_root, tmp_path, "1000", str(tmp_path / "no-chromium"))
    assert "the app's browser test will be skipped" in out and apt == ""


def test_present_chromium_is_left_alone(repo_root: Path, tmp_path: Path) -> None:
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    out, apt = make_browser(repo_root, tmp_path, "0", str(present))
    assert out == "" and apt == ""
