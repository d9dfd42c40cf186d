"""The app's temporary files (uploaded CSVs, scored CSVs, Gradio's cache) in one folder of this process,
removed when the app stops; the folders of app processes that died (kill -9) are removed at the next start."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PREFIX = "credit-scoring-app-"
GRADIO_TEMP_ENV = "GRADIO_TEMP_DIR"


def _pid_of(folder: Path) -> int | None:
    pid = folder.name[len(PREFIX) :].split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead(root: Path) -> list[Path]:
    """Remove the scratch folders under `root` whose app process is gone; the folders removed."""
    gone = [f for f in root.glob(f"{PREFIX}*") if (pid := _pid_of(f)) is not None and not _alive(pid)]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


@contextmanager
def app_scratch(root: Path | None = None) -> Iterator[Path]:
    """While the block runs, every temporary file of this process (`tempfile`, Gradio's uploads and cache)
    goes under one new folder `<tmp>/credit-scoring-app-<pid>-*`; removed, and the settings restored, at the end."""
    base = Path(root or tempfile.gettempdir())
    remove_dead(base)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    saved_env, saved_tempdir = os.environ.get(GRADIO_TEMP_ENV), tempfile.tempdir
    os.environ[GRADIO_TEMP_ENV] = str(folder / "gradio")
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop(GRADIO_TEMP_ENV, None)
        else:
            os.environ[GRADIO_TEMP_ENV] = saved_env
        shutil.rmtree(folder, ignore_errors=True)
