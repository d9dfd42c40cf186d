"""Fixtures of the data-stage integration tests: a tiny generated dataset and the real config moved to tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
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


def _loan_book(raw: Path, n: int, first_id: int, seed: int) -> pd.DataFrame:
    """Write raw/loans.csv: a one-table portfolio in the shape of conf/dataset/single_table.yaml."""
    rng = np.random.default_rng(seed)
    income, debt = rng.lognormal(10, 0.5, n), rng.lognormal(9, 1.0, n)
    loans = pd.DataFrame(
        {
            "loan_id": np.arange(first_id, first_id + n),
            "default": (rng.random(n) < 1 / (1 + np.exp(-(np.log(debt / income) + 1)))).astype(int),
            "income": income.round(2),
            "debt": debt.round(2),
            "age": rng.integers(18, 80, n),
            "purpose": rng.choice(["car", "home", "study", None], n),
            "has_guarantor": rng.choice(["Y", "N"], n),
        }
    )
    raw.mkdir(parents=True, exist_ok=True)
    loans.to_csv(raw / "loans.csv", index=False)
    return loans


@pytest.fixture(scope="session")
def loan_book() -> Callable[..., pd.DataFrame]:
    """`loan_book(raw, n, first_id, seed)` writes a one-table loan book (single_table.yaml) into `raw`."""
    return _loan_book
