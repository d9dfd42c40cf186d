"""The catalog of stage outputs: one typed entry per file a stage writes.

Every entry knows its path (from `paths.*`), the stage that writes it, how to read and write it, and the error
to give when it is missing ("run the X stage first"). Stages read their inputs and write their outputs through
the catalog only, so a file name is written once, here, and a library module never imports another stage's
module for a constant.

Writes go through a stage's staging folder (`Catalog.staging`): the stage's whole output folder appears
complete or not at all (`credit_scoring.io.atomic.atomic_dir`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.config import PathsConfig
from credit_scoring.errors import InputDataError
from credit_scoring.io.atomic import (
    atomic_dir,
    atomic_path,
    write_json,
    write_parquet,
    write_table,
    write_text,
)


class Format(Enum):
    """How an entry is stored."""

    parquet = "parquet"
    json = "json"
    csv = "csv"
    joblib = "joblib"
    text = "text"  # a page (HTML) written whole


@dataclass(frozen=True)
class Entry:
    """One stage output: `folder`/`name`, written by `stage` in `fmt`."""

    stage: str
    folder: Path
    name: str
    fmt: Format

    @property
    def path(self) -> Path:
        return self.folder / self.name

    def exists(self) -> bool:
        return self.path.is_file()

    def require(self) -> Path:
        """The path, or an error naming the stage to run when the file is not there."""
        if not self.exists():
            raise InputDataError(f"{self.path}: not found (run the {self.stage} stage first)")
        return self.path

    def read(
        self, columns: Sequence[str] | None = None, filters: list[Any] | None = None, **kwargs: Any
    ) -> Any:
        """The stored object: a DataFrame (parquet: only `columns`, rows matching `filters`; csv), a dict
        (json) or the unpickled object (joblib)."""
        path = self.require()
        if self.fmt is Format.parquet:
            cols = None if columns is None else list(columns)
            return pd.read_parquet(path, columns=cols, filters=filters, **kwargs)
        if self.fmt is Format.csv:
            return pd.read_csv(path, **kwargs)
        if self.fmt is Format.json:
            return json.loads(path.read_text(encoding="utf-8"))
        if self.fmt is Format.text:
            return path.read_text(encoding="utf-8")
        import joblib

        return joblib.load(path)

    def read_optional(self, **kwargs: Any) -> Any:
        """`read()`, or None when the file is not there (optional outputs: imputer, reports)."""
        return self.read(**kwargs) if self.exists() else None

    def columns(self) -> list[str]:
        """Column names of a Parquet entry, from its schema only (no data read)."""
        return list(pq.read_schema(self.require()).names)

    def write(self, obj: Any, folder: Path | None = None) -> Path:
        """Write `obj` atomically at `folder`/name (default: the entry's own folder); returns the path.

        parquet: a DataFrame (index dropped), an Arrow table or a stream of record batches; json: any JSON-able
        object; csv: a DataFrame (index dropped); joblib: any picklable object.
        """
        path = (self.folder if folder is None else Path(folder)) / self.name
        if self.fmt is Format.parquet:
            if isinstance(obj, pa.Table | pa.RecordBatchReader):
                write_table(obj, path)
            else:
                write_parquet(obj, path)
        elif self.fmt is Format.json:
            write_json(obj, path)
        elif self.fmt is Format.text:
            write_text(obj, path)
        elif self.fmt is Format.csv:
            with atomic_path(path) as tmp:
                obj.to_csv(tmp, index=False)
        else:
            import joblib

            with atomic_path(path) as tmp:
                joblib.dump(obj, tmp)
        return path


# the train stage's DVC plots: curve -> file under plots/ (dvc.yaml names the same files)
PLOT_FILES = {
    "roc": "roc.csv",
    "pr": "precision_recall.csv",
    "calibration": "calibration.csv",
    "cost": "cost.csv",
}
PLOTS_DIR = "plots"


def _entry(stage: str, name: str, fmt: Format, doc: str) -> property:
    """A catalog attribute: the entry `name` in the output folder of `stage` (built when read)."""
    return property(lambda self: Entry(stage, self.folder(stage), name, fmt), doc=doc)


class Catalog:
    """Every stage output of one configuration (`paths`); an entry's folder is read from `paths` when used."""

    def __init__(self, paths: PathsConfig | Any) -> None:
        self.paths = paths

    ingest_report = _entry("ingest", "report.json", Format.json, "rows, columns, orphans per table")
    side_features = _entry("merge", "side_features.parquet", Format.parquet, "aggregates, one row per id")
    merge_report = _entry("merge", "report.json", Format.json, "blocks and the categorical levels kept")
    split = _entry("split", "split.parquet", Format.parquet, "id -> part (train / valid / test)")
    split_summary = _entry("split", "split.json", Format.json, "rows and target rate per part")
    features_report = _entry("features", "features.json", Format.json, "feature names and encodings")
    resampled = _entry("resample", "train.parquet", Format.parquet, "the rebalanced training split")
    imputer = _entry("resample", "imputer.joblib", Format.joblib, "imputer fitted for the SMOTE family")
    resample_report = _entry("resample", "resample.json", Format.json, "rows before and after")
    train_metrics = _entry("train", "metrics.json", Format.json, "metrics per split (DVC metrics)")
    train_run = _entry("train", "run.json", Format.json, "the MLflow run and logged model")
    trials = _entry("train", "trials.csv", Format.csv, "every tuning trial")
    importance = _entry("train", "importance.csv", Format.csv, "global importance (feature, importance)")
    points_table = _entry("train", "points.csv", Format.csv, "a scorecard's points (empty for other kinds)")
    outcome = _entry("register", "outcome.json", Format.json, "the gate's decision")
    live_aliases = _entry(
        "register", "champion.json", Format.json, "versions holding @champion / @challenger"
    )
    monitor_metrics = _entry("monitor", "metrics.json", Format.json, "headline drift figures (DVC metrics)")
    validation_json = _entry(
        "validation", "validation.json", Format.json, "the PD validation report's figures"
    )
    validation_html = _entry("validation", "validation.html", Format.text, "the PD validation report's page")

    def ingested(self, table: str) -> Entry:
        """A raw table, typed and validated by the ingest stage."""
        return Entry("ingest", self.folder("ingest"), f"{table}.parquet", Format.parquet)

    def features_part(self, part: str) -> Entry:
        """A modelling table of the features stage: train, valid, test or production."""
        return Entry("features", self.folder("features"), f"{part}.parquet", Format.parquet)

    def plot(self, curve: str) -> Entry:
        """A DVC plot of the train stage (a curve of `PLOT_FILES`), under plots/."""
        return Entry("train", self.folder("train") / PLOTS_DIR, PLOT_FILES[curve], Format.csv)

    def folder(self, stage: str) -> Path:
        """The output folder of a stage (ingest, merge, split, features, resample, train, register, monitor)."""
        return Path(getattr(self.paths, stage))

    @contextmanager
    def staging(self, stage: str) -> Iterator[Path]:
        """A staging folder that replaces the stage's output folder whole when the block succeeds."""
        with atomic_dir(self.folder(stage)) as staging:
            yield staging
