"""Scoring a CSV of applications (the columns of the production table's CSV; side-table features optional):
the file checked like an ingested table, every row scored by the champion, and the scored frame with the
decision, the distance to the threshold and the main reasons of each row."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from credit_scoring.data.tables import read_header, read_raw_csv, validate_table
from credit_scoring.errors import InputDataError
from credit_scoring.modelling.costs import decisions
from credit_scoring.serving.requests import listed
from credit_scoring.serving.results import GRANTED, REFUSED

if TYPE_CHECKING:
    from credit_scoring.config.dataset import TableConfig
    from credit_scoring.serving.champion import ChampionVersion


@dataclass
class BatchResult:
    frame: pd.DataFrame
    summary: str


def upload_table(v: ChampionVersion) -> TableConfig:
    """The declared columns of an uploaded application (the target, declared when the dataset has no
    production table and applications are rows of the training table, is never required)."""
    cols = v.table.columns
    kept = {
        f.name: " ".join(c for c in getattr(cols, f.name).split() if c != v.ds.target)
        for f in dataclasses.fields(cols)
    }
    return dataclasses.replace(v.table, columns=dataclasses.replace(cols, **kept))


def read_applications(v: ChampionVersion, path: Path, file: str) -> pd.DataFrame:
    """The file's rows typed like an ingested table; a message naming the file (as uploaded) otherwise."""
    try:
        header = read_header(path)
    except InputDataError as exc:
        raise InputDataError(str(exc).replace(path.name, file)) from None
    table = upload_table(v)
    missing = [c for c in table.types if c not in header]
    if missing:
        raise InputDataError(
            f"{file}: {len(missing)} required column{'s are' if len(missing) > 1 else ' is'} missing: "
            f"{listed(missing)}. The file must have the columns of {v.table.file}, comma-separated "
            f"(its header has {len(header)} column{'s' if len(header) != 1 else ''})."
        )
    try:
        raw = read_raw_csv(path, table, v.ds.error_examples)
    except InputDataError as exc:
        raise InputDataError(str(exc).replace(path.name, file)) from None
    if len(raw.frame) > v.cfg.batch_max_rows:
        raise InputDataError(
            f"{file}: {len(raw.frame):,} rows, more than the {v.cfg.batch_max_rows:,} allowed"
        )
    return validate_table(raw.frame, table, file=file, examples=v.ds.error_examples)


def score_csv(v: ChampionVersion, path: Path | str, name: str | None = None) -> BatchResult:
    """Score a CSV of applications with champion version `v`.

    Side-table features: the file's own when it has any of them, else the stored ones of its ids.
    """
    path = Path(path)
    file = name or path.name
    app = read_applications(v, path, file)
    own_side = [c for c in v.side_columns if c in app.columns]
    rows = app if own_side or not v.side_columns else v.store.with_side(app)
    features = v.features_in_chunks(len(rows), lambda s: rows.iloc[s].reset_index(drop=True))
    matrix = v.impute(features)
    p = v.probability(matrix)
    refused = decisions(p, v.threshold).astype(bool)
    contributions = v.contributions(matrix)
    k = v.cfg.batch_reasons
    reasons = [
        [r.text for r in v.reasoner.reasons(features[i], contributions[i], k)] for i in range(len(rows))
    ]
    out = pd.DataFrame(
        {
            v.ds.id: app[v.ds.id].astype("Int64"),
            "probability": np.round(p, 6),
            "decision": np.where(refused, REFUSED, GRANTED),
            "threshold": round(v.threshold, 6),
            "distance_to_threshold": np.round(p - v.threshold, 6),
        }
    )
    for j in range(k):
        out[f"reason_{j + 1}"] = [r[j] if j < len(r) else "" for r in reasons]
    out["notices"] = ["; ".join(v.notices(r)) for r in app.to_dict("records")]
    out["model_version"] = v.card.version
    side_note = "its own side-table features" if own_side else "the stored side-table history of known ids"
    summary = (
        f"{file}: {len(out):,} applications scored by {v.card.model_name} version {v.card.version} "
        f"({int(refused.sum()):,} refused, {int((~refused).sum()):,} granted; threshold {v.threshold:.1%}; "
        f"{side_note})."
    )
    return BatchResult(out, summary)
