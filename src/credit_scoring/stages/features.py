"""Stage `features`: ingest + merge + split outputs -> the modelling tables train / valid / test / production."""

from __future__ import annotations

from typing import Any

from credit_scoring.config import Config
from credit_scoring.features.tables import build_features, read_side_features
from credit_scoring.io.atomic import write_behind
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.runner import Log, run_main

NAME = "features"


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Write the catalog's four modelling tables and the features report."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    train_table = catalog.ingested(ds.train_table).read()
    if ds.production_table is not None:
        production = catalog.ingested(ds.production_table).read()
    else:  # no production table: an empty one with the same columns
        production = train_table.drop(columns=[ds.target]).iloc[0:0]
    side = (
        read_side_features(catalog.side_features.require(), ds.id, cfg.features.float_dtype)
        if cfg.features.side_features
        else None
    )
    split = catalog.split.read()
    tables, encoder = build_features(train_table, production, side, split, ds, cfg.features)
    del train_table, production, side
    rows: dict[str, int] = {}
    names: list[str] = []
    with catalog.staging(NAME) as staging:
        with write_behind() as submit:
            for name, table in tables:
                names = names or [c for c in table.column_names if c not in (ds.id, ds.target)]
                rows[name] = table.num_rows
                submit(catalog.features_part(name).write, table, staging)
                del table
        report = {
            "dataset": ds.name,
            "features_config": cfg.features.name,
            "n_features": len(names),
            "rows": rows,
            "encoded_columns": {c: len(v) for c, v in encoder.levels_.items()},
            "features": names,
        }
        catalog.features_report.write(report, staging)
    log(f"{len(names)} features; " + ", ".join(f"{k}: {v:,} rows" for k, v in report["rows"].items()))
    return report


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/features.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
