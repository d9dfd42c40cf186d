"""The one naming rule of generated columns: aggregates (PREFIX_COLUMN_FUNC) and level indicators
(COLUMN_Level). Dependency-free, so that the logged model's encoder shares it without importing duckdb."""

from __future__ import annotations

import re

NULL_LEVEL = "nan"
SAFE = re.compile(r"[^0-9A-Za-z]+")


def agg_name(prefix: str, column: str, func: str) -> str:
    """The one naming rule of aggregated columns: ``agg_name("BURO", "DAYS_CREDIT", "mean")`` -> BURO_DAYS_CREDIT_MEAN."""
    return "_".join(part for part in (prefix, column, func.upper()) if part)


def level_column(column: str, level: str | None) -> str:
    """Name of the 0/1 indicator of one level (``None``: missing), e.g. CREDIT_TYPE_Car_loan."""
    label = NULL_LEVEL if level is None else (SAFE.sub("_", str(level)).strip("_") or "EMPTY")
    return f"{column}_{label}"
