"""The generator's own copy of the Home Credit schema and marginals, and samplers that reproduce them.

Every column is sampled through a Gaussian copula: a caller hands a standard-normal score ``z`` per row
(correlated with whatever latent factors it likes), and the column's marginal turns it into values with the
real quantiles, level shares, missing rate and sentinel values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np
from scipy.special import ndtr

SPEC_PACKAGE = "credit_scoring.generator.specs"
QUANTILE_KEYS: tuple[tuple[float, str], ...] = (
    (0.0, "min"),
    (0.01, "p01"),
    (0.25, "p25"),
    (0.5, "median"),
    (0.75, "p75"),
    (0.99, "p99"),
    (1.0, "max"),
)
_TAIL_EXPONENT_BOUNDS = (1.0, 400.0)
_MEAN_FIT_GRID = 20_001


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a Home Credit file: its name, kind and marginal distribution."""

    name: str
    dtype: str  # int | float | category | flag
    description: str = ""
    missing_rate: float = 0.0
    levels: dict[str, float] | None = None
    value_freq: dict[str, float] | None = None
    special_values: dict[str, float] | None = None
    integer_valued: bool = False
    csv: str | None = None  # "yn" for Y/N flags
    stats: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColumnSpec:
        stats = {
            k: d[k] for k in ("min", "p01", "p25", "median", "p75", "p99", "max", "mean", "std") if k in d
        }
        return cls(
            name=d["name"],
            dtype=d["dtype"],
            description=d.get("description", ""),
            missing_rate=float(d.get("missing_rate") or 0.0),
            levels=d.get("levels"),
            value_freq=d.get("value_freq"),
            special_values=d.get("special_values"),
            integer_valued=bool(d.get("integer_valued", False)),
            csv=d.get("csv"),
            stats=stats,
        )

    @property
    def is_categorical(self) -> bool:
        return self.levels is not None

    @property
    def is_discrete(self) -> bool:
        """Numeric column sampled from its published value shares (flags and low-cardinality counts)."""
        return self.value_freq is not None and (
            self.dtype == "flag" or (self.integer_valued and len(self.value_freq) <= 30)
        )

    @property
    def pandas_dtype(self) -> str:
        """The dtype pandas infers for this column when reading the real CSV."""
        if self.is_categorical:
            return "object"
        if self.dtype in ("int", "flag") and self.missing_rate == 0:
            return "int64"
        return "float64"

    # ---- numeric marginal -------------------------------------------------------------------------------
    @cached_property
    def _knots(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Quantile knots (u, value) of the non-missing, non-sentinel part, and the fitted upper-tail exponent."""
        pts = [(q, float(self.stats[k])) for q, k in QUANTILE_KEYS if k in self.stats]
        u = np.array([p[0] for p in pts])
        v = np.maximum.accumulate(np.array([p[1] for p in pts]))
        s = self.sentinel_share_of_present
        if s > 0:
            keep = u < 1 - s - 1e-12
            u, v = u[keep] / (1 - s), v[keep]
            if u[-1] < 1:
                slope = (v[-1] - v[-2]) / (u[-1] - u[-2]) if len(u) > 1 and u[-1] > u[-2] else 0.0
                end = v[-1] + slope * (1 - u[-1])
                if self.name.startswith("DAYS_") and v[-1] <= 0:
                    end = min(end, 0.0)
                u, v = np.append(u, 1.0), np.append(v, end)
        k_hi = self._fit_upper_tail(u, v) if s == 0 else 1.0
        return u, v, k_hi

    def _fit_upper_tail(self, u: np.ndarray, v: np.ndarray) -> float:
        """Exponent k of the top 1% (p99 -> max) that brings the mean of the marginal to the published mean."""
        mean = self.stats.get("mean")
        if mean is None or len(u) < 3 or u[-2] != 0.99 or v[-1] <= v[-2]:
            return 1.0
        grid = (np.arange(_MEAN_FIT_GRID) + 0.5) / _MEAN_FIT_GRID
        lo, hi = _TAIL_EXPONENT_BOUNDS
        if self._ppf(grid, u, v, hi).mean() > mean:
            return hi
        if self._ppf(grid, u, v, lo).mean() < mean:
            return lo
        for _ in range(50):
            mid = np.sqrt(lo * hi)
            if self._ppf(grid, u, v, mid).mean() > mean:
                lo = mid
            else:
                hi = mid
        return float(np.sqrt(lo * hi))

    @staticmethod
    def _ppf(q: np.ndarray, u: np.ndarray, v: np.ndarray, k_hi: float) -> np.ndarray:
        """Piecewise inverse CDF: geometric between positive knots (skewed amounts), linear elsewhere."""
        out = np.interp(q, u, v)
        seg = np.clip(np.searchsorted(u, q, side="right") - 1, 0, len(u) - 2)
        a, b = v[seg], v[seg + 1]
        geo = (a > 0) & (b > a)
        if geo.any():
            t = (q[geo] - u[seg[geo]]) / (u[seg[geo] + 1] - u[seg[geo]])
            out[geo] = a[geo] * (b[geo] / a[geo]) ** t
        from_zero = (a == 0) & (b > 0) & (u[seg] < 0.99)
        if from_zero.any() and k_hi != 1.0:
            t = (q[from_zero] - u[seg[from_zero]]) / (u[seg[from_zero] + 1] - u[seg[from_zero]])
            out[from_zero] = b[from_zero] * t ** min(k_hi, 8.0)
        if len(u) >= 3 and u[-2] == 0.99 and k_hi != 1.0:
            top = q > 0.99
            t = (q[top] - 0.99) / 0.01
            out[top] = v[-2] + (v[-1] - v[-2]) * t**k_hi
        return out

    @property
    def sentinel(self) -> float | None:
        if not self.special_values:
            return None
        return float(next(iter(self.special_values)))

    @property
    def sentinel_share_of_present(self) -> float:
        if not self.special_values:
            return 0.0
        share = float(next(iter(self.special_values.values())))
        return min(share / max(1.0 - self.missing_rate, 1e-12), 1.0)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Inverse CDF of the non-missing, non-sentinel values (numeric columns)."""
        u, v, k_hi = self._knots
        out = self._ppf(np.asarray(q, dtype=float), u, v, k_hi)
        if self.integer_valued:
            out = np.round(out)
        return out

    # ---- discrete marginals -----------------------------------------------------------------------------
    @cached_property
    def _discrete(self) -> tuple[np.ndarray, np.ndarray]:
        table = self.levels if self.is_categorical else self.value_freq
        assert table is not None
        labels = np.array(list(table.keys()), dtype=object)
        p = np.array(list(table.values()), dtype=float)
        return labels, np.cumsum(p / p.sum())

    def discrete_from_u(
        self, q: np.ndarray, order: list[str] | None = None, exclude: list[str] | None = None
    ) -> np.ndarray:
        """Map uniforms to levels (categoricals) or values (value_freq integers).

        `order` sets the level order (low uniforms first); `exclude` drops levels and renormalises the rest.
        """
        labels, cum = self._discrete
        if order is not None or exclude:
            table = self.levels if self.is_categorical else self.value_freq
            assert table is not None
            order = list(order or [])
            unknown = [k for k in order + list(exclude or []) if k not in table]
            if unknown:
                raise ValueError(f"{self.name}: unknown levels {unknown}")
            rest = [k for k in table if k not in order]
            labels = np.array([k for k in order + rest if k not in (exclude or [])], dtype=object)
            p = np.array([table[k] for k in labels], dtype=float)
            cum = np.cumsum(p / p.sum())
        idx = np.minimum(np.searchsorted(cum, q, side="right"), len(labels) - 1)
        out = labels[idx]
        if not self.is_categorical:
            return out.astype(float)
        return out

    def sample(
        self,
        z: np.ndarray,
        rng: np.random.Generator,
        *,
        order: list[str] | None = None,
        exclude: list[str] | None = None,
        missing: np.ndarray | None = None,
        sentinel: np.ndarray | None = None,
    ) -> np.ndarray:
        """Values for standard-normal scores ``z``: marginal, missing rate and sentinel share as published.

        ``missing``/``sentinel`` masks override the random ones (so that callers can tie them to other columns).
        """
        n = len(z)
        q = ndtr(z)
        if self.is_categorical or self.is_discrete:
            out = self.discrete_from_u(q, order, exclude)
        else:
            out = self.ppf(q)
            s = self.sentinel_share_of_present
            if s > 0 or sentinel is not None:
                if sentinel is None:
                    sentinel = rng.random(n) < s
                out = np.where(sentinel, self.sentinel, out)
        if missing is None:
            missing = rng.random(n) < self.missing_rate if self.missing_rate > 0 else None
        if missing is not None and missing.any():
            if self.is_categorical:
                out = np.where(missing, None, out)
            else:
                out = np.where(missing, np.nan, out.astype(float))
        return out


@dataclass(frozen=True)
class TableSpec:
    name: str
    file: str
    columns: tuple[ColumnSpec, ...]

    @cached_property
    def by_name(self) -> dict[str, ColumnSpec]:
        return {c.name: c for c in self.columns}

    def __getitem__(self, name: str) -> ColumnSpec:
        try:
            return self.by_name[name]
        except KeyError as e:
            raise KeyError(f"table {self.name} has no column {name!r}") from e

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    tables: dict[str, TableSpec]
    volumes: dict[str, Any]

    def __getitem__(self, table: str) -> TableSpec:
        return self.tables[table]


@lru_cache(maxsize=4)
def load_spec(name: str = "home_credit") -> DatasetSpec:
    """Load a packaged dataset spec (``src/credit_scoring/generator/specs/<name>.json``)."""
    raw = json.loads(resources.files(SPEC_PACKAGE).joinpath(f"{name}.json").read_text())
    tables = {
        t: TableSpec(name=t, file=d["file"], columns=tuple(ColumnSpec.from_dict(c) for c in d["columns"]))
        for t, d in raw["tables"].items()
    }
    return DatasetSpec(name=raw["name"], tables=tables, volumes=raw["volumes"])
