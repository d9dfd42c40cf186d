"""What the side-table generators share: calendar constants, small vectorised helpers, the applicant context,
the rows-per-applicant draw of the applicant-level tables (bureau, previous_application) and the final frame.

Everything is vectorised: variable-length histories are built with ``np.repeat``/``cumsum`` expansions
(:func:`expand`), never with Python loops over applicants or credits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.spec import ColumnSpec, DatasetSpec, TableSpec

DAYS_PER_MONTH = 30.4375
SENTINEL = 365243.0
MAX_HISTORY_DAYS = 2922  # 96 months: the window Home Credit kept
ADULT_DAYS = 6575  # 18 years


# ---------------------------------------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------------------------------------
def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and position within parent for ``counts[i]`` child rows of each parent ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    parent = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
    starts = (np.cumsum(counts) - counts).astype(np.int64)
    pos = (np.arange(total, dtype=np.int64) - np.repeat(starts, counts)).astype(np.int32)
    return parent, pos


def intercept(x: np.ndarray, target: float, weights: np.ndarray | None = None, max_n: int = 100_000) -> float:
    """Intercept ``a`` with weighted mean of ``expit(a + x)`` equal to ``target`` (bisection, deterministic)."""
    x = np.asarray(x, dtype=float)
    target = float(np.clip(target, 1e-6, 1 - 1e-6))
    if x.size == 0:
        return float(np.log(target / (1 - target)))
    step = max(1, x.size // max_n)
    xs = x[::step]
    ws = None if weights is None else np.asarray(weights, dtype=float)[::step]
    if ws is not None and ws.sum() <= 0:
        return float(np.log(target / (1 - target)))
    lo, hi = -30.0, 30.0
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        m = expit(mid + xs).mean() if ws is None else np.average(expit(mid + xs), weights=ws)
        if m < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def month_of(days: np.ndarray) -> np.ndarray:
    """Month index of a (negative) day offset: -1 for days -30..-1, 0 for day 0."""
    return np.floor(np.asarray(days, dtype=float) / DAYS_PER_MONTH).astype(np.int32)


def normal_score(x: np.ndarray) -> np.ndarray:
    """Standard-normal scores of the ranks of ``x`` (ties broken by position, deterministic)."""
    n = len(x)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(np.nan_to_num(np.asarray(x, dtype=float), nan=-np.inf), kind="stable")
    ranks = np.empty(n, dtype=float)
    ranks[order] = np.arange(n)
    return ndtri((ranks + 0.5) / n)


def mix(z: np.ndarray, rng: np.random.Generator, rho: float) -> np.ndarray:
    """A standard-normal score with correlation ``rho`` to ``z``."""
    return rho * z + np.sqrt(max(1.0 - rho * rho, 0.0)) * rng.standard_normal(len(z))


def levels_from_u(
    col: ColumnSpec, u: np.ndarray, only: list[str] | None = None, exclude: list[str] | None = None
) -> np.ndarray:
    """Map uniforms to the column's levels restricted to ``only`` / without ``exclude`` (shares renormalised)."""
    table = col.levels if col.is_categorical else col.value_freq
    assert table is not None, col.name
    keys = [k for k in table if (only is None or k in only) and (exclude is None or k not in exclude)]
    if not keys:
        raise ValueError(f"{col.name}: no level left")
    p = np.array([table[k] for k in keys], dtype=float)
    cum = np.cumsum(p) / p.sum()
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(keys) - 1)
    labels = np.array(keys, dtype=object) if col.is_categorical else np.array([float(k) for k in keys])
    return labels[idx]


def ids_within(rng: np.random.Generator, parent: np.ndarray, base: int, span: float) -> np.ndarray:
    """Unique ids ``base + k`` in shuffled order, sorted within each (contiguous, sorted) parent group."""
    m = parent.size
    raw = rng.permutation(max(int(np.ceil(m * span)), m))[:m].astype(np.int64)
    order = np.lexsort((raw, parent))
    return base + raw[order]


def safe_mean(x: np.ndarray) -> float:
    """Mean that is 0 for an empty array."""
    return float(np.mean(x)) if np.size(x) else 0.0


def const_array(n: int, value: object) -> np.ndarray:
    """Object array of ``n`` references to one value (np.full would copy the string n times)."""
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def per_level(values: np.ndarray, fn: Callable[[str], object], default: object) -> np.ndarray:
    """``fn`` applied once per distinct level of an object array (``default`` for None)."""
    codes, uniques = pd.factorize(values)
    table = np.array([fn(str(u)) for u in uniques] + [default], dtype=object)
    return table[codes]


def round2(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float), 2)


def as_int(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.round(x), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------------
# applicant context
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Applicants:
    n: int
    curr: np.ndarray  # SK_ID_CURR int64
    risk: np.ndarray
    z_inc: np.ndarray
    z_age: np.ndarray
    hist_scale: np.ndarray  # <= 1: shrinks day offsets of young applicants (no credit before 18)
    income: np.ndarray


def applicant_context(apps: pd.DataFrame, risk: np.ndarray) -> Applicants:
    n = len(apps)
    risk = np.asarray(risk, dtype=float).reshape(-1)
    if risk.size != n:
        raise ValueError(f"risk has {risk.size} values for {n} applicants")
    age = -apps["DAYS_BIRTH"].to_numpy(dtype=float)
    sd = age.std() if n > 1 else 0.0
    z_age = (age - age.mean()) / sd if sd > 0 else np.zeros(n)
    hist_scale = np.clip((age - ADULT_DAYS) / MAX_HISTORY_DAYS, 0.02, 1.0)
    income = apps["AMT_INCOME_TOTAL"].to_numpy(dtype=float)
    return Applicants(
        n=n,
        curr=apps["SK_ID_CURR"].to_numpy(dtype=np.int64),
        risk=risk,
        z_inc=normal_score(income),
        z_age=z_age,
        hist_scale=hist_scale,
        income=income,
    )


def _age_mult(a: Applicants, effect: float) -> np.ndarray:
    return np.exp(effect * a.z_age - 0.5 * effect * effect)


def _row_counts(
    rng: np.random.Generator,
    n: int,
    share_any: float,
    mean_any: float,
    max_rows: int,
    dispersion: float,
    mult: np.ndarray,
) -> np.ndarray:
    """Rows per parent: 0 with prob 1-share_any, else 1 + negative binomial (mean mean_any-1) clipped."""
    mu = np.maximum((mean_any - 1.0) * mult, 1e-9)
    extra = rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
    has = rng.random(n) < share_any
    return np.where(has, 1 + np.minimum(extra, max_rows - 1), 0).astype(np.int64)


def applicant_rows(
    a: Applicants,
    spec: DatasetSpec,
    rng: np.random.Generator,
    p: ChildrenParams,
    volume: str,
    max_rows_key: str,
    id_base: int,
    id_span: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Parent applicant and unique id of each row of an applicant-level table (bureau, previous_application).

    ``volume`` names the table's entry of ``spec.volumes["mean_child_rows_per_parent"]``, ``max_rows_key`` its
    entry of ``spec.volumes["max_child_rows_per_parent_full"]``; older applicants have more rows. Ids are
    ``id_base`` + a sample without replacement of ``[0, id_span * rows)``.
    """
    vol = spec.volumes["mean_child_rows_per_parent"][volume]
    max_rows = int(spec.volumes["max_child_rows_per_parent_full"][max_rows_key])
    cnt = _row_counts(
        rng,
        a.n,
        vol["share_applicants_with_any"],
        vol["mean_over_applicants_with_any"],
        max_rows,
        p.count_dispersion,
        _age_mult(a, p.count_age_effect),
    )
    par, _ = expand(cnt)
    return par, ids_within(rng, par, id_base, id_span)


# ---------------------------------------------------------------------------------------------------------
# the frame a generator returns
# ---------------------------------------------------------------------------------------------------------
def spec_frame(data: dict[str, np.ndarray], tab: TableSpec) -> pd.DataFrame:
    """A frame with exactly the spec's columns, in file order, with the dtypes pandas reads from the CSV."""
    cols = {}
    for c in tab.columns:
        x = data[c.name]
        dt = c.pandas_dtype
        if dt == "int64":
            if x.dtype.kind == "f" and np.isnan(x).any():
                raise ValueError(f"{tab.name}.{c.name}: NaN in an integer column")
            x = x.astype(np.int64, copy=False)
        elif dt == "float64":
            x = x.astype(np.float64, copy=False)
        else:
            x = x.astype(object, copy=False)
        cols[c.name] = x
    return pd.DataFrame(cols, copy=False)
