"""Stage `split`: train / validation / test ids drawn once from the ingested train table."""

from __future__ import annotations

from typing import Any

from credit_scoring.config import Config
from credit_scoring.data.split import make_split, summarize
from credit_scoring.io.catalog import Catalog
from credit_scoring.stages.runner import Log, run_main

NAME = "split"


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """The train table's ids and target -> the catalog's split table and summary."""
    ds, catalog = cfg.dataset, Catalog(cfg.paths)
    frame = catalog.ingested(ds.train_table).read(columns=[ds.id, ds.target])
    frame = frame.sort_values(ds.id, ignore_index=True)
    split = make_split(frame[ds.id], frame[ds.target], cfg.split)
    summary = summarize(split, frame[ds.target], cfg.split)
    with catalog.staging(NAME) as staging:
        catalog.split.write(split, staging)
        catalog.split_summary.write(summary, staging)
    log(
        ", ".join(
            f"{k}: {v['rows']:,} rows ({v['target_rate']:.2%} positive)" for k, v in summary["parts"].items()
        )
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/split.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv)
