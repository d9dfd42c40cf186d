"""Stage `resample`: the features stage's train table, rebalanced (only the training split ever is)."""

from __future__ import annotations

from typing import Any

from credit_scoring.config import Config
from credit_scoring.io.catalog import Catalog
from credit_scoring.modelling.resampling import resample, summary
from credit_scoring.stages.runner import Log, run_main

NAME = "resample"


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Write the catalog's resampled train table, the fitted imputer (SMOTE family) and the report."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    train = catalog.features_part("train").read()
    result = resample(train, ds.id, ds.target, cfg.resampling)
    report = summary(train, result.frame, ds.id, ds.target, cfg.resampling)
    with catalog.staging(NAME) as staging:
        catalog.resampled.write(result.frame, staging)
        if result.imputer is not None:
            catalog.imputer.write(result.imputer, staging)
        catalog.resample_report.write(report, staging)
    b, a = report["before"], report["after"]
    log(
        f"{report['method']}: {b['rows']:,} rows ({b['positive_rate']:.2%} positive) -> {a['rows']:,} rows "
        f"({a['positive_rate']:.2%} positive, {report['synthetic_rows']:,} synthetic)"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/resample.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
