"""Populations as the champion sees them: ids, the champion's feature frame, its probability of default.

A population is built from frames the caller has read: a table of the features stage (scored as it is), or
raw applicant rows (application columns, side features joined) preprocessed by the champion's own pipeline.
The pipeline is any object with the logged model's interface (`feature_names`, `threshold`,
`probability_of_features`, `preprocessor.transform_matrix`, `impute`, `probability_of_matrix`): this library
never loads it. Also here: the raw files a user hands in (rows, labels), the notes on what such a file lacks,
the batch folders of a series, and the populations' description in a report's metadata.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import DatasetConfig
from credit_scoring.data.tables import non_numeric_problems
from credit_scoring.errors import InputDataError


@dataclasses.dataclass
class Population:
    """Rows of one population as the champion sees them: ids, feature frame, probability of default."""

    name: str
    ids: np.ndarray
    features: pd.DataFrame  # the champion's feature columns
    score: np.ndarray
    source: str
    target: np.ndarray | None = None  # outcomes, where known (the test split)
    notes: list[str] = dataclasses.field(default_factory=list)


def read_rows(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file of raw rows."""
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: not found")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix in (".csv", ".gz"):
            return pd.read_csv(path, low_memory=False)
    except Exception as exc:  # parser errors of any kind
        raise InputDataError(f"{path}: cannot be read: {str(exc).splitlines()[0]}") from None
    raise InputDataError(f"{path}: expected a .csv or .parquet file")


def read_labels(path: Path, id_col: str, target: str) -> pd.DataFrame:
    """Outcomes that arrived (a CSV or Parquet file): the id and the 0/1 target."""
    labels = read_rows(path)
    missing = [c for c in (id_col, target) if c not in labels.columns]
    if missing:
        raise InputDataError(f"{path}: lacks column(s) {missing} (labels need {id_col} and {target})")
    bad = ~labels[target].isin([0, 1])
    if bad.any():
        raise InputDataError(f"{path}: column {target} must be 0 or 1; {int(bad.sum())} rows are not")
    return labels[[id_col, target]]


def default_labels(path: Path, ds: DatasetConfig) -> Path | None:
    """The stage's outcome file (the generator's oracle) when the dataset has a production table and the
    file has its id and target columns; None otherwise (another dataset's oracle is not an error)."""
    path = Path(path)
    if ds.production_table is None or path.suffix != ".csv" or not path.is_file():
        return None
    header = set(pd.read_csv(path, nrows=0).columns)
    return path if {ds.id, ds.target} <= header else None


def check_features(present: Iterable[str], features: Sequence[str], source: Path | str) -> None:
    """An error when a features stage table lacks some of the champion's features."""
    have = set(present)
    missing = [c for c in features if c not in have]
    if missing:
        raise InputDataError(
            f"{source}: lacks {len(missing)} of the champion's features (e.g. {missing[:5]}): the champion was "
            "trained on other features; rerun the pipeline (dvc repro) so that both agree"
        )


def features_population(
    frame: pd.DataFrame, pipeline: Any, ds: DatasetConfig, name: str, source: str
) -> Population:
    """A table of the features stage (id, the champion's features, the target when known), scored."""
    features = list(pipeline.feature_names)
    score = pipeline.probability_of_features(frame)
    return Population(
        name=name,
        ids=frame[ds.id].to_numpy(),
        features=frame[features],
        score=np.asarray(score, dtype=np.float64),
        source=source,
        target=frame[ds.target].to_numpy(dtype="int64") if ds.target in frame.columns else None,
    )


def rows_population(
    rows: pd.DataFrame, pipeline: Any, id_col: str, name: str, source: str, notes: Sequence[str] = ()
) -> Population:
    """Raw applicant rows (application columns, side features joined) through the champion's preprocessing."""
    from credit_scoring.modelling.models import MATRIX_DTYPE  # lazily: it imports the boosters

    if id_col not in rows.columns:
        raise InputDataError(f"{source}: no {id_col} column")
    if len(rows) == 0:
        raise InputDataError(f"{source}: no rows")
    matrix = pipeline.preprocessor.transform_matrix(rows).astype(MATRIX_DTYPE, copy=False)
    score = pipeline.probability_of_matrix(pipeline.impute(matrix))
    return Population(
        name=name,
        ids=rows[id_col].to_numpy(),
        features=pd.DataFrame(matrix, columns=list(pipeline.feature_names)),
        score=np.asarray(score, dtype=np.float64),
        source=source,
        notes=list(notes),
    )


def application_notes(app: pd.DataFrame, preprocessor: Any, id_col: str, source: Path | str) -> list[str]:
    """What a file of application rows lacks (absent columns are taken as missing), or an error when it has
    no id, text in a declared number column, or none of the application columns (then they are not
    applicant rows)."""
    if id_col not in app.columns:
        raise InputDataError(f"{source}: no {id_col} column")
    ds = preprocessor.dataset
    table = ds.tables[ds.production_table or ds.train_table]
    if bad := non_numeric_problems(app, table, str(source), ds.error_examples):  # before any scoring
        raise InputDataError("\n".join(bad))
    expected = [c for c in preprocessor.application_columns_ if c != id_col]
    absent = [c for c in expected if c not in app.columns]
    if len(absent) == len(expected):
        raise InputDataError(
            f"{source}: none of the application columns (e.g. {expected[:3]}): not applicant rows"
        )
    if not absent:
        return []
    shown = ", ".join(absent[:10]) + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
    return [f"{len(absent)} application column(s) absent from the file, taken as missing: {shown}"]


def needs_side_features(app: pd.DataFrame, preprocessor: Any) -> bool:
    """The champion uses side features and the file has none of them: they are joined from the merge stage."""
    side = preprocessor.side_columns_
    return bool(side) and not any(c in app.columns for c in side)


def side_features_note(ids: np.ndarray, side: pd.DataFrame | None, id_col: str, merge_dir: str) -> str:
    """How many applicants of a file the merge stage's side features know."""
    known = int(np.isin(ids, side[id_col].to_numpy()).sum()) if side is not None else 0
    return (
        f"side features joined from {merge_dir} for {known:,} of {len(ids):,} applicants "
        "(the others have no side-table history there)"
    )


def batch_folders(series_dir: Path) -> list[Path]:
    """The batch folders of a series (sorted by name: month_01, month_02, ...)."""
    series_dir = Path(series_dir)
    if not series_dir.is_dir():
        raise InputDataError(f"{series_dir}: not a folder")
    folders = sorted(p for p in series_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise InputDataError(f"{series_dir}: no batch folder inside (expected e.g. month_01/, month_02/)")
    return folders


def batch_table(ds: DatasetConfig) -> str:
    """The table of a batch's application rows: the production table, else (a dataset without one) the
    training table (its columns; the target may be absent)."""
    return ds.production_table or ds.train_table


def batch_files(ds: DatasetConfig, folder: Path) -> dict[str, str]:
    """The files of a batch folder (the production table, or the training table's file when the dataset has
    no production table, and the side tables, by table name), or an error naming those it lacks."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputDataError(f"{folder}: not a folder")
    skip = ds.train_table if ds.production_table is not None else None
    needed = {n: t.file for n, t in ds.tables.items() if n != skip}
    missing = [f for f in needed.values() if not (folder / f).is_file()]
    if missing:
        raise InputDataError(f"{folder}: missing {missing} (a batch folder holds {sorted(needed.values())})")
    return needed


def without_table(ds: DatasetConfig, name: str) -> DatasetConfig:
    """The dataset config without table `name` (nor references to it): a batch has no training table."""
    tables = {}
    for key, table in ds.tables.items():
        if key == name:
            continue
        refs = [
            dataclasses.replace(fk, tables=[p for p in fk.tables if p != name]) for fk in table.references
        ]
        tables[key] = dataclasses.replace(table, references=[fk for fk in refs if fk.tables])
    return dataclasses.replace(ds, tables=tables)


def describe(
    champion: str, threshold: float, train: Population, test: Population, current: Population
) -> dict[str, Any]:
    """The report's metadata: the champion, the populations compared, the current rows' mean score and
    refusal rate, and the notes on the current rows."""
    meta: dict[str, Any] = {
        "champion": champion,
        "threshold": threshold,
        "reference (features)": f"training split: {train.source} ({len(train.ids):,} rows)",
        "reference (score, Evidently)": f"held-out test split: {test.source} ({len(test.ids):,} rows)",
        "current": f"{current.name}: {current.source} ({len(current.ids):,} rows)",
        "current mean score": float(np.mean(current.score)),
        "current refusal rate": float(np.mean(current.score >= threshold)),
    }
    for i, note in enumerate(current.notes):
        meta[f"note {i + 1}"] = note
    return meta
