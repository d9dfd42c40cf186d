"""Stage `eda`: the features stage's train table (+ ingest and split summaries) -> one HTML report."""

from __future__ import annotations

from pathlib import Path

from credit_scoring.config import Config
from credit_scoring.io.atomic import write_text
from credit_scoring.io.catalog import Catalog
from credit_scoring.reporting.eda import build_report
from credit_scoring.stages.runner import Log, run_main

NAME = "eda"


def run(cfg: Config, log: Log = print) -> Path:
    """Write cfg.paths.eda_report."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    train = catalog.features_part("train").read()
    page = build_report(
        train,
        cfg.eda,
        ds.id,
        ds.target,
        ds.name,
        catalog.ingest_report.read_optional(),
        catalog.split_summary.read_optional(),
    )
    out = Path(cfg.paths.eda_report)
    write_text(page, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/eda.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
