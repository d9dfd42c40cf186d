"""The master scale: rating grades from PD band edges, the per-grade calibration tests and traffic lights,
the concentration of the grades (Herfindahl) and the migration matrix between two models' grades.

Grade g (1 = best) holds the PDs in [edges[g-2], edges[g-1]): `edges` are the inner band edges, strictly
increasing in (0, 1), so there are len(edges) + 1 grades. A grade's tests use its mean PD (ECB instructions:
the PD of the grade is the average PD of its obligors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from credit_scoring.errors import InputDataError
from credit_scoring.stats.calibration_tests import binomial_test, jeffreys_test

GREEN, AMBER, RED, EMPTY = "green", "amber", "red", "n/a"
GRADE_COLUMNS = [
    "grade", "pd_lower", "pd_upper", "count", "share", "defaults", "mean_pd", "default_rate",
    "binomial_p", "jeffreys_p", "light",
]  # fmt: skip


@dataclass(frozen=True)
class Concentration:
    """Herfindahl index of the grade shares: sum of squared shares (1/K when even, 1 when one grade holds
    all) and its normalised form (HHI - 1/K) / (1 - 1/K) in [0, 1]."""

    hhi: float
    normalised: float


def check_edges(edges: list[float] | np.ndarray) -> np.ndarray:
    """The edges as an array, after checking they are strictly increasing inside (0, 1)."""
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or len(e) == 0:
        raise InputDataError("master scale: give at least one PD band edge")
    if np.any(e <= 0) or np.any(e >= 1) or np.any(np.diff(e) <= 0):
        raise InputDataError(
            f"master scale: band edges must increase strictly inside (0, 1), got {e.tolist()}"
        )
    return e


def assign_grades(pd_values: np.ndarray, edges: list[float] | np.ndarray) -> np.ndarray:
    """The grade (1 .. len(edges) + 1) of each PD."""
    e = check_edges(edges)
    p = np.asarray(pd_values, dtype=float)
    if not np.isfinite(p).all():
        raise InputDataError("master scale: PDs must be finite")
    return np.searchsorted(e, p, side="right") + 1


def traffic_light(p_values: np.ndarray, red_below: float, amber_below: float) -> np.ndarray:
    """red when p < red_below, amber when p < amber_below, else green; NaN (empty grade) 'n/a'."""
    p = np.asarray(p_values, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(p < red_below, RED, np.where(p < amber_below, AMBER, GREEN))
    return np.where(np.isnan(p), EMPTY, out).astype(object)


def master_scale(
    y: np.ndarray,
    pd_values: np.ndarray,
    edges: list[float] | np.ndarray,
    red_below: float,
    amber_below: float,
    light_test: str = "jeffreys",
) -> pd.DataFrame:
    """One row per grade (GRADE_COLUMNS): the count, defaults, mean PD, observed rate, the one-sided binomial
    and Jeffreys p-values, and the traffic light of `light_test` ("jeffreys" or "binomial")."""
    if light_test not in ("jeffreys", "binomial"):
        raise InputDataError(f"master scale: light_test must be jeffreys or binomial, got {light_test!r}")
    e = check_edges(edges)
    y_ = np.asarray(y, dtype=float)
    p = np.asarray(pd_values, dtype=float)
    if y_.shape != p.shape:
        raise InputDataError(f"master scale: {len(p)} PDs for {len(y_)} labels")
    grades = assign_grades(p, e)
    k = len(e) + 1
    count = np.bincount(grades, minlength=k + 1)[1:]
    defaults = np.bincount(grades, y_, k + 1)[1:].round().astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pd = np.bincount(grades, p, k + 1)[1:] / count
        rate = defaults / count
    filled = count > 0
    binom_p = np.full(k, np.nan)
    jeff_p = np.full(k, np.nan)
    binom_p[filled] = binomial_test(count[filled], defaults[filled], mean_pd[filled])
    jeff_p[filled] = jeffreys_test(count[filled], defaults[filled], mean_pd[filled])
    chosen = jeff_p if light_test == "jeffreys" else binom_p
    return pd.DataFrame(
        {
            "grade": np.arange(1, k + 1),
            "pd_lower": np.r_[0.0, e],
            "pd_upper": np.r_[e, 1.0],
            "count": count,
            "share": count / max(len(p), 1),
            "defaults": defaults,
            "mean_pd": mean_pd,
            "default_rate": rate,
            "binomial_p": binom_p,
            "jeffreys_p": jeff_p,
            "light": traffic_light(chosen, red_below, amber_below),
        },
        columns=GRADE_COLUMNS,
    )


def herfindahl(counts: np.ndarray) -> Concentration:
    """Herfindahl concentration of the counts per grade."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or len(c) == 0 or np.any(c < 0) or c.sum() == 0:
        raise InputDataError("Herfindahl: needs non-negative counts per grade, not all zero")
    share = c / c.sum()
    hhi = float(np.sum(share**2))
    k = len(c)
    return Concentration(hhi, (hhi - 1 / k) / (1 - 1 / k) if k > 1 else 1.0)


def migration_matrix(from_grades: np.ndarray, to_grades: np.ndarray, n_grades: int) -> pd.DataFrame:
    """Counts of rows by (from grade, to grade), every grade 1..n_grades on both axes (rows: `from`, e.g.
    the champion; columns: `to`, e.g. the challenger)."""
    a, b = np.asarray(from_grades), np.asarray(to_grades)
    if a.shape != b.shape:
        raise InputDataError(f"migration matrix: {len(a)} grades against {len(b)}")
    if len(a) and (min(a.min(), b.min()) < 1 or max(a.max(), b.max()) > n_grades):
        raise InputDataError(f"migration matrix: grades must be in 1..{n_grades}")
    flat = np.bincount((a - 1) * n_grades + (b - 1), minlength=n_grades * n_grades)
    labels = pd.Index(range(1, n_grades + 1))
    return pd.DataFrame(
        flat.reshape(n_grades, n_grades),
        index=labels.rename("from_grade"),
        columns=labels.rename("to_grade"),
    )


def migration_summary(matrix: pd.DataFrame) -> dict[str, float]:
    """Share of rows on the diagonal (same grade), within one notch, and moving up or down."""
    m = matrix.to_numpy(dtype=float)
    total = m.sum()
    if total == 0:
        return {"same": float("nan"), "within_one": float("nan"), "upgraded": float("nan"),
                "downgraded": float("nan")}  # fmt: skip
    i, j = np.indices(m.shape)
    return {
        "same": float(m[i == j].sum() / total),
        "within_one": float(m[np.abs(i - j) <= 1].sum() / total),
        "upgraded": float(m[j < i].sum() / total),  # a better (lower) grade for the second model
        "downgraded": float(m[j > i].sum() / total),
    }


def pd_migration(pd_from: np.ndarray, pd_to: np.ndarray, edges: list[float] | np.ndarray) -> pd.DataFrame:
    """The migration matrix of the same rows graded by two models (e.g. champion -> challenger at promotion,
    both on the test split): `migration_matrix` of their grades on the master scale `edges`."""
    return migration_matrix(
        assign_grades(pd_from, edges), assign_grades(pd_to, edges), len(check_edges(edges)) + 1
    )
