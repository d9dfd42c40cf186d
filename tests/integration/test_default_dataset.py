"""The default dataset is reproducible: regenerating it gives exactly the data/ recorded in data.dvc.

`make data` runs `credit-scoring generate` with its defaults from the repository root; this test does the
same in a temporary folder and compares the DVC hash of the resulting data/ folder (the 8 raw CSVs, the
oracle and the drift manifest) with the `md5`, `nfiles` and `size` that data.dvc records.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # one default-size generation, ~30-60 s


def _recorded_out(repo_root: Path) -> dict:
    dvc_file = repo_root / "data.dvc"
    assert dvc_file.is_file(), "data.dvc is missing: run `make data && uv run dvc add data`"
    outs = yaml.safe_load(dvc_file.read_text())["outs"]
    (out,) = (o for o in outs if o["path"] == "data")
    return out


def _dvc_dir_hash(folder: Path, workdir: Path) -> tuple[str, int, int]:
    """(md5 ending in .dir, nfiles, size) of `folder`, computed by DVC's own hashing (dvc-data)."""
    from dvc_data.hashfile.build import build
    from dvc_data.hashfile.db import HashFileDB
    from dvc_objects.fs.local import LocalFileSystem

    fs = LocalFileSystem()
    odb = HashFileDB(fs, str(workdir / "odb"))
    _, meta, obj = build(odb, str(folder), fs, "md5", dry_run=True)
    return obj.hash_info.value, meta.nfiles, meta.size


def _tree_entries(folder: Path) -> list[dict[str, str]]:
    """The entries of DVC 3's .dir object: md5 of each file's bytes and its posix path, sorted by path."""
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.md5()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        entries.append({"md5": digest.hexdigest(), "relpath": path.relative_to(folder).as_posix()})
    return sorted(entries, key=lambda e: e["relpath"])


def _tree_md5(entries: list[dict[str, str]]) -> str:
    """DVC 3's directory hash, written out: md5 of the JSON list of entries, plus '.dir'."""
    return hashlib.md5(json.dumps(entries, sort_keys=True).encode("utf-8")).hexdigest() + ".dir"


def _changed_files(repo_root: Path, recorded_md5: str, entries: list[dict[str, str]]) -> str:
    """Which files differ from the recorded ones, when the local DVC cache still holds the .dir object."""
    value = recorded_md5.removesuffix(".dir")
    dir_object = repo_root / ".dvc" / "cache" / "files" / "md5" / value[:2] / f"{value[2:]}.dir"
    if not dir_object.is_file():
        return "(no local DVC cache of the recorded data: cannot tell which files differ)"
    recorded = {e["relpath"]: e["md5"] for e in json.loads(dir_object.read_text())}
    now = {e["relpath"]: e["md5"] for e in entries}
    changed = sorted(k for k in recorded.keys() | now.keys() if recorded.get(k) != now.get(k))
    return "files that differ from data.dvc: " + ", ".join(changed)


def test_default_dataset_matches_data_dvc(repo_root: Path, run_cli, tmp_path: Path) -> None:
    recorded = _recorded_out(repo_root)

    # Same command as `make data`, run from a folder standing for the repository root.
    result = run_cli("generate", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    assert (data / "raw" / "application_train.csv").is_file()
    assert (data / "oracle" / "oracle.csv").is_file(), "the oracle is part of data/ (and of its hash)"

    md5, nfiles, size = _dvc_dir_hash(data, tmp_path)
    entries = _tree_entries(data)
    assert md5 == _tree_md5(entries), "the hand-written DVC 3 .dir hash disagrees with dvc-data"

    assert nfiles == recorded["nfiles"], f"{nfiles} files in data/, data.dvc records {recorded['nfiles']}"
    assert size == recorded["size"], f"data/ holds {size} bytes, data.dvc records {recorded['size']}"
    assert md5 == recorded["md5"], (
        "regenerating the default dataset does not reproduce data.dvc; "
        + _changed_files(repo_root, recorded["md5"], entries)
        + ". If the generator changed on purpose: rm -rf data && make data && uv run dvc add data"
    )
