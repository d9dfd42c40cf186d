"""The split: train / validation / test drawn once from the train table (stratified, seeded).

The production table is not split: it is the production set. Every later stage reads split.parquet
(id -> part) instead of drawing again, so the parts never change when features or models do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from credit_scoring.config import SplitConfig
from credit_scoring.errors import InputDataError

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
