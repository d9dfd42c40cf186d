"""Derived columns (`Derived` in the config): one definition, two implementations.

`derived_series` computes a derived column on a pandas frame (domain features, the pandas reference of the
aggregations); `derived_sql` gives the same column as a duckdb SQL expression (merge stage). Both follow the
semantics documented on `DerivedOp`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_scoring.config import Derived, DerivedOp, Sentinel
from credit_scoring.errors import ConfigError
from credit_scoring.features.sql import quote

TWO_INPUT_OPS = (DerivedOp.ratio, DerivedOp.difference)


def check_derived(d: Derived, available: list[str] | pd.Index, where: str) -> None:
    """Inputs exist, arity and weights match the op."""
    missing = [c for c in d.inputs if c not in available]
    if missing:
        raise ConfigError(f"{where}: derived column {d.name} uses unknown column(s) {', '.join(missing)}")
    if d.op in TWO_INPUT_OPS and len(d.inputs) != 2:
        raise ConfigError(f"{where}: derived column {d.name} ({d.op.name}) needs exactly 2 columns")
    if (d.op is DerivedOp.weighted_sum) != (d.weights is not None):
        raise ConfigError(f"{where}: derived column {d.name}: weights go with op weighted_sum only")
    if d.weights is not None and len(d.weights) != len(d.inputs):
        raise ConfigError(f"{where}: derived column {d.name}: one weight per column")


def derived_series(df: pd.DataFrame, d: Derived) -> pd.Series:
    """The derived column computed on `df` (float64, infinite results as missing)."""
    x = df[d.inputs].astype("float64").to_numpy(na_value=np.nan)
    return pd.Series(derived_values(x, d), index=df.index, name=d.name)


def derived_values(x: np.ndarray, d: Derived) -> np.ndarray:
    """The derived column of a float64 matrix of its inputs (one column per input, in `d.inputs` order):
    the kernel of `derived_series`, shared with the scoring pipeline's one-row path."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if d.op is DerivedOp.ratio:
            den = x[:, 1]
            out = np.where(den == 0, np.nan, x[:, 0] / np.where(den == 0, 1.0, den))
        elif d.op is DerivedOp.difference:
            out = x[:, 0] - x[:, 1]
        elif d.op is DerivedOp.product:
            out = np.prod(x, axis=1)
        elif d.op is DerivedOp.sum:
            out = np.sum(x, axis=1)
        elif d.op is DerivedOp.weighted_sum:
            out = x @ np.asarray(d.weights, dtype="float64")
        else:
            present = (~np.isnan(x)).sum(axis=1)
            func = {
                DerivedOp.mean: np.nanmean,
                DerivedOp.min: np.nanmin,
                DerivedOp.max: np.nanmax,
                DerivedOp.std: lambda a, axis: np.nanstd(a, axis=axis, ddof=1),
            }[d.op]
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows give NaN, as intended
                out = func(x, axis=1)
            out = np.where(present == 0, np.nan, out)
    out = np.where(np.isinf(out), np.nan, out)
    if d.clip_lower is not None:
        out = np.where(out < d.clip_lower, d.clip_lower, out)
    return out


def derived_sql(d: Derived) -> str:
    """The derived column as a duckdb expression (DOUBLE)."""
    cols = [f"CAST({quote(c)} AS DOUBLE)" for c in d.inputs]
    if d.op is DerivedOp.ratio:
        expr = f"({cols[0]} / NULLIF({cols[1]}, 0))"
    elif d.op is DerivedOp.difference:
        expr = f"({cols[0]} - {cols[1]})"
    elif d.op is DerivedOp.product:
        expr = "(" + " * ".join(cols) + ")"
    elif d.op is DerivedOp.sum:
        expr = "(" + " + ".join(cols) + ")"
    elif d.op is DerivedOp.weighted_sum:
        assert d.weights is not None
        expr = "(" + " + ".join(f"{float(w)!r} * {c}" for w, c in zip(d.weights, cols, strict=True)) + ")"
    elif d.op is DerivedOp.mean:
        total = " + ".join(f"COALESCE({c}, 0)" for c in cols)
        present = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in cols)
        expr = f"(({total}) / NULLIF({present}, 0))"
    elif d.op is DerivedOp.min:
        expr = "LEAST(" + ", ".join(cols) + ")"
    elif d.op is DerivedOp.max:
        expr = "GREATEST(" + ", ".join(cols) + ")"
    else:
        raise ConfigError(f"derived column {d.name}: op {d.op.name} is not available in aggregations")
    if d.clip_lower is not None:
        expr = f"(CASE WHEN {expr} < {float(d.clip_lower)!r} THEN {float(d.clip_lower)!r} ELSE {expr} END)"
    return expr


def apply_sentinels(df: pd.DataFrame, sentinels: list[Sentinel]) -> pd.DataFrame:
    """A copy of `df` where each sentinel value is missing, plus its 0/1 flag column when one is named."""
    out = df.copy()
    for s in sentinels:
        if s.column not in out.columns:
            raise ConfigError(f"sentinel on unknown column {s.column}")
        hit = (out[s.column] == s.value).fillna(False).to_numpy(dtype=bool)
        out[s.column] = out[s.column].astype("float64").mask(hit)
        if s.flag:
            out[s.flag] = hit.astype("int8")
    return out


def sentinel_sql(s: Sentinel) -> str:
    """`column` with its sentinel value turned into NULL (duckdb)."""
    c = quote(s.column)
    return f"(CASE WHEN {c} = {float(s.value)!r} THEN NULL ELSE {c} END)"
