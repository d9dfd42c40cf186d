"""Stage `merge`: every side table aggregated to one row per id -> side_features.parquet + report.json."""

from __future__ import annotations

from typing import Any

from credit_scoring.config import Config
from credit_scoring.errors import InputDataError
from credit_scoring.features.aggregate import (
    Vocabulary,
    vocabulary_from_json,
    vocabulary_of,
    vocabulary_to_json,
)
from credit_scoring.features.merge import assemble, connect, run_aggregations, side_ids, side_table_names
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.runner import Log, run_main

NAME = "merge"


def read_vocabulary(catalog: Catalog) -> Vocabulary:
    """The categorical levels a merge run kept (its report), to aggregate a production batch alike."""
    levels = catalog.merge_report.read().get("levels")
    if levels is None:
        raise InputDataError(
            f"{catalog.merge_report.path}: records no levels (written by an older merge stage: rerun it)"
        )
    return vocabulary_from_json(levels)


def run(cfg: Config, log: Log = print, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The ingested tables -> the catalog's side features and merge report.

    vocabulary: keep these categorical levels (see `read_vocabulary`) instead of learning them from the data.
    """
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    tables = {name: catalog.ingested(name).require() for name in side_table_names(ds)}
    con = connect(cfg.runtime)
    try:
        finals, plans = run_aggregations(con, ds, tables, log, vocabulary)
    finally:
        con.close()
    ids = side_ids(ds, finals)
    side = assemble(ds, finals, ids, cfg.runtime.side_rows_per_batch)
    report = {
        "dataset": ds.name,
        "rows": len(ids),
        "features": len(side.schema) - 1,
        "blocks": {
            name: {"columns": len(plan), "attached": spec.attach_to}
            for (name, plan), spec in zip(plans.items(), ds.aggregations, strict=True)
        },
        "levels": vocabulary_to_json(vocabulary_of(plans)),
    }
    with catalog.staging(NAME) as staging:
        catalog.side_features.write(side, staging)
        catalog.merge_report.write(report, staging)
    log(f"side features: {report['rows']:,} ids x {report['features']} features")
    return report


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/merge.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
