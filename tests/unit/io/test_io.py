"""Atomic outputs: complete or absent, never half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit_scoring.io.atomic import atomic_dir, atomic_path


def test_atomic_dir_failure_leaves_previous_output_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "ingest"
    out.mkdir()
    (out / "old.parquet").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as staging:
        (staging / "new.parquet").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ingest.lock", "ingest"]  # no staging left
    assert [p.name for p in out.iterdir()] == ["old.parquet"]


def test_atomic_dir_success_replaces_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "ingest"
    out.mkdir()
    (out / "old.parquet").write_text("old")
    with atomic_dir(out) as staging:
        (staging / "new.parquet").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ingest.lock", "ingest"]  # no staging left


def test_atomic_path_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise ValueError
    assert list(tmp_path.iterdir()) == []
