"""Fixtures of the data-stage integration tests: a tiny generated dataset and the real config moved to tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from credit_scoring.config import Config, compose_config
from credit_scoring.generator import GeneratorConfig, generate

TINY_APPLICANTS = 400


def _stage_config(root: Path, raw: Path, overrides: list[str] | None = None) -> Config:
    """The real configuration with every path moved under `root` (and the raw CSVs read from `raw`)."""
    paths = [
        f"paths.raw={raw}",
        f"paths.ingest={root}/artifacts/ingest",
        f"paths.merge={root}/artifacts/merge",
        f"paths.split={root}/artifacts/split",
        f"paths.features={root}/artifacts/features",
        f"paths.eda_report={root}/reports/eda.html",
    ]
    return compose_config(paths + list(overrides or []))


@pytest.fixture(scope="session")
def stage_config() -> Callable[..., Config]:
    return _stage_config


@pytest.fixture(scope="session")
def quiet() -> dict:
    """Keyword arguments silencing a stage's progress lines."""
    return {"log": lambda _msg: None}


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 8 Home Credit CSVs for a few hundred applicants (generated once per session)."""
    root = tmp_path_factory.mktemp("tiny")
    generate(GeneratorConfig(applicants=TINY_APPLICANTS, seed=11), root / "raw", root / "oracle")
    return root / "raw"
