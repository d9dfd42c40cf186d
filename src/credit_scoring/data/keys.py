"""Whether a table's key columns are unique together: the cheapest exact test for the layout at hand."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def strictly_increasing(columns: list[np.ndarray]) -> bool:
    """Whether the rows of these columns are in strictly increasing lexicographic order (hence unique)."""
    if len(columns[0]) < 2:
        return True
    after = np.zeros(len(columns[0]) - 1, dtype=bool)  # row i+1 > row i on the columns after this one
    for x in reversed(columns):
        after = (x[1:] > x[:-1]) | ((x[1:] == x[:-1]) & after)
    return bool(after.all())


def _packed(columns: list[np.ndarray]) -> np.ndarray | None:
    """The integer key columns packed into one int64 per row (same rows equal, different rows different), or
    None when their ranges do not fit in 63 bits."""
    packed = np.zeros(len(columns[0]), dtype=np.int64)
    bits = 0
    for x in columns:
        low, span = int(x.min()), int(x.max()) - int(x.min()) + 1
        bits += span.bit_length()
        if bits > 63:
            return None
        packed = packed * span + (x - low)
    return packed


def keys_unique(t: pa.Table, keys: list[str]) -> bool:
    """Whether the key columns (no missing value) are unique together, by the cheapest exact test: one pass
    when the rows are sorted on them (the usual layout of a table's key), else one sort of the integer keys packed
    into one column, else a group-by."""
    if t.num_rows < 2:
        return True
    arrays = [t.column(k) for k in keys]
    if all(pa.types.is_signed_integer(a.type) for a in arrays):
        columns = [a.to_numpy().astype(np.int64, copy=False) for a in arrays]
        if strictly_increasing(columns):
            return True
        packed = columns[0] if len(columns) == 1 else _packed(columns)
        if packed is not None:
            ordered = np.sort(packed)
            return not bool((ordered[1:] == ordered[:-1]).any())
    return t.select(keys).group_by(keys).aggregate([]).num_rows == t.num_rows
