"""The same aggregations written in plain pandas, kernel style (get_dummies + groupby().agg()).

Not used by the pipeline: it is the reference the duckdb engine is checked against in the tests and compared
with in benchmarks/data_stages.py. Same plan (`plan_block`), same semantics, same column names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_scoring.config import AggFunc, Aggregation, DatasetConfig, SubsetFilter
from credit_scoring.features.aggregate import Levels, Output, categorical_columns, plan_block
from credit_scoring.features.derived import apply_sentinels, check_derived, derived_series

PANDAS_FUNCS = {f: f.name for f in AggFunc}


def column_kinds(df: pd.DataFrame, exclude: set[str]) -> tuple[list[str], list[str]]:
    """(numeric, categorical) columns of a frame, keys excluded."""
    numeric, categorical = [], []
    for c in df.columns:
        if c in exclude:
            continue
        dt = df[c].dtype
        if (
            isinstance(dt, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dt)
            or isinstance(dt, pd.StringDtype)
        ):
            categorical.append(c)
        elif pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt):
            numeric.append(c)
    return numeric, categorical


def levels_pandas(s: pd.Series, max_levels: int) -> Levels:
    counts = s.astype("object").dropna().astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max_levels]
    return Levels(tuple(k for k, _ in ordered), bool(s.isna().any()))


def prepare(frame: pd.DataFrame, spec: Aggregation) -> pd.DataFrame:
    """Sentinels as NaN and derived columns added (a new frame)."""
    df = apply_sentinels(frame, [type(s)(column=s.column, value=s.value, flag=None) for s in spec.sentinels])
    for d in spec.derived:
        check_derived(d, df.columns, f"aggregation {spec.name}")
        df[d.name] = derived_series(df, d)
    return df


def _numeric_block(df: pd.DataFrame, by: str, outputs: list[Output]) -> pd.DataFrame:
    """groupby().agg({column: [funcs]}) for outputs sharing one filter; sums of no values are NaN."""
    spec: dict[str, list[str]] = {}
    for o in outputs:
        assert o.column is not None and o.func is not None
        spec.setdefault(o.column, [])
        for f in (PANDAS_FUNCS[o.func], "count"):
            if f not in spec[o.column]:
                spec[o.column].append(f)
    agg = df.groupby(by, sort=True).agg(spec)
    out = {}
    for o in outputs:
        s = agg[(o.column, PANDAS_FUNCS[o.func])].astype("float64")
        if o.func is AggFunc.sum:
            s = s.where(agg[(o.column, "count")] > 0)
        out[o.name] = s
    return pd.DataFrame(out)


def aggregate_pandas(frame: pd.DataFrame, spec: Aggregation, exclude: set[str]) -> pd.DataFrame:
    """One block in pandas: one row per `spec.by` (sorted), columns in plan order."""
    df = prepare(frame, spec)
    df = df[df[spec.by].notna()]
    numeric, categorical = column_kinds(df, exclude | {spec.by})
    levels = {c: levels_pandas(df[c], spec.max_levels) for c in categorical_columns(spec, categorical)}
    plan = plan_block(spec, numeric, categorical, levels)
    groups = df.groupby(spec.by, sort=True)
    index = groups.size().index
    parts: list[pd.DataFrame] = []

    plain = [o for o in plan if o.where is None and not o.indicator and o.column is not None]
    if plain:
        parts.append(_numeric_block(df, spec.by, plain))
    indicators = [o for o in plan if o.indicator]
    if indicators:
        dummies = {}
        for o in indicators:
            col = df[o.column].astype("object")
            hit = col.isna() if o.level is None else col.astype(str).eq(o.level) & col.notna()
            dummies[o.name] = hit.astype("float64")
        dummies[spec.by] = df[spec.by]
        parts.append(pd.DataFrame(dummies).groupby(spec.by, sort=True).mean())
    counts = [o for o in plan if o.column is None]
    if counts:
        parts.append(pd.DataFrame({o.name: groups.size().astype("float64") for o in counts}))
    filters: dict[tuple[str, str], list[Output]] = {}
    for o in plan:
        if o.where is not None:
            filters.setdefault((o.where.column, o.where.equals), []).append(o)
    for (col, value), outs in filters.items():
        rows = df[df[col].astype("object").astype(str).eq(value) & df[col].notna()]
        sub = _numeric_block(rows, spec.by, outs).reindex(index) if len(rows) else _empty(index, outs)
        for o in outs:
            if o.func in (AggFunc.size, AggFunc.count, AggFunc.nunique):
                sub[o.name] = sub[o.name].fillna(0.0)
        parts.append(sub)
    out = pd.concat([p.reindex(index) for p in parts], axis=1) if parts else pd.DataFrame(index=index)
    return out[[o.name for o in plan]].reset_index()


def _empty(index: pd.Index, outputs: list[Output]) -> pd.DataFrame:
    return pd.DataFrame({o.name: np.full(len(index), np.nan) for o in outputs}, index=index)


def side_features_pandas(frames: dict[str, pd.DataFrame], ds: DatasetConfig) -> pd.DataFrame:
    """The merge stage in pandas: rollups merged many_to_one, id-level blocks outer-merged one_to_one."""
    from credit_scoring.features.merge import key_columns

    tables = dict(frames)
    finals: list[pd.DataFrame] = []
    for spec in ds.aggregations:
        result = aggregate_pandas(tables[spec.table], spec, key_columns(ds, spec.table))
        if spec.attach_to is not None:
            tables[spec.attach_to] = tables[spec.attach_to].merge(
                result, on=spec.by, how="left", validate="many_to_one"
            )
        else:
            finals.append(result)
    if not finals:
        return pd.DataFrame({ds.id: pd.Series([], dtype="int64")})
    out = finals[0]
    for f in finals[1:]:
        out = out.merge(f, on=ds.id, how="outer", validate="one_to_one")
    return out.sort_values(ds.id, ignore_index=True)


__all__ = ["aggregate_pandas", "side_features_pandas", "SubsetFilter"]
