"""The migration matrix at promotion time: the test split's rows graded on the master scale
(`validation.grade_edges`) by the version holding the champion alias and by the version promoted
(`stats.master_scale.pd_migration`: rows = the champion's grade, columns = the promoted version's).

Both logged pyfuncs score the same raw test rows (application rows + side features, as the register stage's
gate does), each with its own calibrated probability. `credit-scoring promote` prints the matrix and keeps it
in the promotion's history line (registry tag, reports/champion_history.{jsonl,html}). Pure but for the two
model loads and the catalog read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.features.rows import split_rows
from credit_scoring.io.catalog import Catalog
from credit_scoring.scoring.pipeline import PROBABILITY
from credit_scoring.stats.master_scale import migration_summary, pd_migration


def migration_record(
    pd_from: np.ndarray, pd_to: np.ndarray, edges: list[float], from_version: str, to_version: str
) -> dict[str, Any]:
    """The JSON-able record of the matrix of two models' PDs on the same rows."""
    matrix = pd_migration(pd_from, pd_to, edges)
    return {
        "population": "test split",
        "from_version": str(from_version),
        "to_version": str(to_version),
        "rows": int(matrix.to_numpy().sum()),
        "grade_edges": [float(e) for e in edges],
        "matrix": matrix.to_numpy().astype(int).tolist(),  # [from grade - 1][to grade - 1]
        "summary": migration_summary(matrix),
    }


def as_frame(record: dict[str, Any]) -> pd.DataFrame:
    """The recorded matrix as a frame indexed by grade (from_grade rows, to_grade columns)."""
    grades = pd.Index(range(1, len(record["matrix"]) + 1))
    return pd.DataFrame(
        record["matrix"], index=grades.rename("from_grade"), columns=grades.rename("to_grade")
    )


def probabilities_of(model_uri: str, rows: pd.DataFrame) -> np.ndarray:
    """The calibrated probability of default of a logged pyfunc on raw rows."""
    import mlflow

    out = mlflow.pyfunc.load_model(model_uri).predict(rows)
    return out[PROBABILITY].to_numpy(dtype="float64")


def promotion_migration(cfg: Config, from_version: str, to_version: str) -> dict[str, Any]:
    """The migration matrix of the test split from version `from_version` (the champion) to `to_version`
    (the promoted one) of the configured registered model; the store must be the current tracking URI."""
    ds, name = cfg.dataset, cfg.registry.model_name
    rows = split_rows(Catalog(cfg.paths), ds, cfg.features, "test").drop(columns=[ds.target])
    pd_from = probabilities_of(f"models:/{name}/{from_version}", rows)
    pd_to = probabilities_of(f"models:/{name}/{to_version}", rows)
    return migration_record(pd_from, pd_to, list(cfg.validation.grade_edges), from_version, to_version)
