"""Provenance of a run: the git commit, the DVC data version, file digests, nested settings as flat params."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import yaml

UNKNOWN = "unknown"
READ_CHUNK_BYTES = 1 << 20


def git_commit(cwd: Path | str = ".") -> tuple[str, bool]:
    """(commit hash, working tree dirty) of the repository at cwd; ('unknown', False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN, False
    return commit, bool(status.strip())


def dvc_data_hash(path: Path | str) -> str:
    """md5 of the first output recorded in a .dvc file (the raw data version), 'unknown' if unreadable."""
    try:
        record = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return str(record["outs"][0]["md5"])
    except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError):
        return UNKNOWN


def file_md5(path: Path) -> str:
    """md5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(READ_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def flat_params(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'model.params.num_leaves': 16, ...}: nested settings as MLflow params."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flat_params(value, f"{name}."))
        else:
            out[name] = value
    return out
