"""Stage `split`: train / validation / test drawn once from the train table (stratified, seeded).

The production table is not split: it is the production set. Every later stage reads split.parquet
(id -> part) instead of drawing again, so the parts never change when features or models do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from credit_scoring.config.schema import Config, SplitConfig
from credit_scoring.errors import InputDataError
from credit_scoring.io.atomic import atomic_dir, write_json, write_parquet

SPLIT_FILE = "split.parquet"
SUMMARY_FILE = "split.json"
PARTS = ("train", "valid", "test")
PART_COLUMN = "part"


def make_split(ids: pd.Series, target: pd.Series, cfg: SplitConfig) -> pd.DataFrame:
    """A frame (id, part) sorted by id: each id in exactly one of train / valid / test."""
    idx = np.arange(len(ids))
    y = target.to_numpy()
    try:
        rest, test = train_test_split(
            idx, test_size=cfg.test_size, random_state=cfg.seed, stratify=y if cfg.stratify else None
        )
        train, valid = train_test_split(
            rest,
            test_size=cfg.valid_size / (1 - cfg.test_size),
            random_state=cfg.seed,
            stratify=y[rest] if cfg.stratify else None,
        )
    except ValueError as exc:
        raise InputDataError(f"cannot split {len(ids):,} rows into train/valid/test: {exc}") from None
    part = np.empty(len(ids), dtype=object)
    for name, rows in zip(PARTS, (train, valid, test), strict=True):
        part[rows] = name
    out = pd.DataFrame({ids.name: ids.to_numpy(), PART_COLUMN: pd.Categorical(part, categories=PARTS)})
    return out.sort_values(ids.name, ignore_index=True)


def summarize(split: pd.DataFrame, target: pd.Series, cfg: SplitConfig) -> dict[str, Any]:
    y = target.to_numpy(dtype="float64")
    parts = {}
    for name in PARTS:
        mask = (split[PART_COLUMN] == name).to_numpy()
        parts[name] = {"rows": int(mask.sum()), "target_rate": round(float(y[mask].mean()), 6)}
    return {"seed": cfg.seed, "stratify": cfg.stratify, "parts": parts}


def split_stage(cfg: Config, log=print) -> dict[str, Any]:
    """Run the stage: the train table's ids and target -> cfg.paths.split/{split.parquet, split.json}."""
    ds = cfg.dataset
    src = Path(cfg.paths.ingest) / f"{ds.train_table}.parquet"
    if not src.is_file():
        raise InputDataError(f"{src}: not found (run the ingest stage first)")
    frame = pd.read_parquet(src, columns=[ds.id, ds.target]).sort_values(ds.id, ignore_index=True)
    split = make_split(frame[ds.id], frame[ds.target], cfg.split)
    summary = summarize(split, frame[ds.target], cfg.split)
    with atomic_dir(Path(cfg.paths.split)) as staging:
        write_parquet(split, staging / SPLIT_FILE)
        write_json(summary, staging / SUMMARY_FILE)
    log(
        ", ".join(
            f"{k}: {v['rows']:,} rows ({v['target_rate']:.2%} positive)" for k, v in summary["parts"].items()
        )
    )
    return summary
