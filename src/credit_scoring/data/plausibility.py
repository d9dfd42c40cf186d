"""Plausibility of values that pass their type: ranges of number columns (`dataset.plausibility`) and
category levels the model never saw. One pure function per question, used by the ingest stage (a value
outside its range refuses the table) and by the app (a notice beside the score, the score is still given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.config.dataset import PlausibleRange


def _bounds(rule: PlausibleRange) -> str:
    low = "-inf" if rule.min is None else f"{rule.min:g}"
    high = "inf" if rule.max is None else f"{rule.max:g}"
    return f"[{low}, {high}]"


def outside(values: np.ndarray, rule: PlausibleRange) -> np.ndarray:
    """Mask of the (present) values outside the rule's range."""
    x = np.asarray(values, dtype="float64")
    mask = np.zeros(len(x), dtype=bool)
    if rule.min is not None:
        mask |= x < rule.min
    if rule.max is not None:
        mask |= x > rule.max
    return mask


def range_problems(
    frame: pa.Table | pd.DataFrame,
    rules: Sequence[PlausibleRange],
    *,
    file: str,
    examples: int,
    first_line: int = 2,
) -> list[str]:
    """One line per column of `frame` holding values outside its plausible range, with the first few CSV lines
    (data row i, from 0, is on line i + first_line) and values; columns the frame lacks are skipped."""
    columns = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    problems = []
    for rule in rules:
        if rule.column not in columns:
            continue
        if isinstance(frame, pa.Table):
            values = pc.cast(frame.column(rule.column), pa.float64()).to_numpy(zero_copy_only=False)
        else:
            values = pd.to_numeric(frame[rule.column], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
        values = np.asarray(values, dtype="float64")
        bad = np.flatnonzero(outside(values, rule))
        if len(bad):
            shown = bad[:examples]
            more = ", ..." if len(bad) > len(shown) else ""
            lines = ", ".join(str(int(i) + first_line) for i in shown)
            vals = ", ".join(f"{values[i]:g}" for i in shown)
            plural = "s" if len(bad) > 1 else ""
            problems.append(
                f"{file}: column {rule.column} has {len(bad):,} value{plural} outside its plausible range "
                f"{_bounds(rule)} (line{plural} {lines}{more}: {vals}{more})"
            )
    return problems


def row_notices(
    row: Mapping[str, object], rules: Sequence[PlausibleRange], levels: Mapping[str, Sequence[str]]
) -> list[str]:
    """Notices for one application: numbers outside their plausible range, category levels the model never saw
    (it scores them as an unknown level)."""
    notices = []
    for rule in rules:
        value = row.get(rule.column)
        if value is None or isinstance(value, str) or pd.isna(value):
            continue
        if outside(np.array([float(value)]), rule)[0]:
            notices.append(f"{rule.column} = {float(value):g} is outside its plausible range {_bounds(rule)}")
    for column, known in levels.items():
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        if str(value) not in known:
            notices.append(
                f"{column} = {value!r} is a level the model never saw (scored as an unknown level)"
            )
    return notices
