"""Population Stability Index of every feature, vectorised, with a drift decision per feature: the bins
learnt on the reference (`ReferenceProfile`) and the statistics of their counts. The table of a report is
built from them by `credit_scoring.monitoring.drift`.

Bins (all learnt from the reference population, never from production):

* numeric feature: cut at the reference's quantiles i/bins, i = 1..bins-1 (numpy's linear quantiles of
  the present values), right-closed: (-inf, q1], (q1, q2], ..., (q_{bins-1}, +inf); but a feature with at
  most `bins` distinct reference values (flags, one-hot indicators, ratings, small counts) gets one bin
  per value instead (see reference_edges). Missing values (NaN, and +-inf, counted as missing like the
  features stage does) are one more bin. Ties give duplicate edges, i.e. empty bins on both sides, which
  cost nothing. A feature with no present reference value has one bin for every present value.
* categorical feature (object, category or string dtype: `features.encoding.is_categorical`, the encoder's
  own rule; a bool column is a 0/1 flag, binned by value like the ingest stage's int8 flags): one bin per
  reference level (the `max_levels` most frequent; the rarer reference levels share an "other" bin), one
  bin for missing values and one "unseen" bin for every production level absent from the reference.

PSI = sum over bins of (c - r) * ln(c / r), with r and c the reference and production shares of a bin,
each floored at `epsilon` (PsiConfig.epsilon, 1e-4): a bin empty on both sides adds exactly 0, a bin empty
on one side only adds (p - eps) * ln(p / eps) instead of infinity. The shares are not renormalised after
the floor (the usual convention; with eps = 1e-4 the difference is below the 4th decimal).

Bands: PSI < 0.1 stable, 0.1 <= PSI < 0.25 moderate, PSI >= 0.25 significant (PsiConfig.moderate/significant).

Drift decision ("drifted"): PSI alone is a size, not a decision. Under no drift its expected value is about
(bins - 1) * (1/n_ref + 1/n_cur), i.e. noise that grows as batches get small or features get many levels,
while a real 0.3-standard-deviation shift gives a PSI of only ~0.085 (below the 0.1 band) however many rows
there are. So a feature is called drifted when

    p_adjusted < alpha   AND   PSI >= min_psi          (DriftRuleConfig; defaults 0.05, "bh", 0.02)

where p is the chi-square test of homogeneity of the reference and production counts on the same bins
(the PSI's own histogram; bins empty on both sides dropped, bins expecting fewer than 5 rows on the
smaller side pooled into one; dof = bins left - 1), adjusted across the features of one report by
Benjamini-Hochberg (false discovery rate; "bonferroni" is the stricter family-wise option). The test keeps
sampling noise out (small batches, many-level categoricals); the PSI floor keeps practically negligible
shifts out when batches are huge (at 300k x 50k rows a test flags anything). The band stays in the output
as the effect size an auditor reads.

Measured on the default generated dataset (30,000 train vs 4,755 test applicants, 120 application
columns, 6 drifted by 0.3-0.6 sd): all 6 flagged and none of the 114 others (default seed); over 17 more
seeds, 6/6 every time and 1 false flag in all (ORGANIZATION_TYPE, 58 levels, PSI 0.021). PSI >= 0.1 alone
flags only 3 of the 6; the test alone (no floor) flags 1-2 undrifted columns in about half of the seeds
(small real side-effects of the drift, e.g. DAYS_EMPLOYED clipped by DAYS_BIRTH). On random test
sub-batches of 500 rows: 97% of the drifted columns, 0.17 false columns per report (Bonferroni: 94%, 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from credit_scoring.config.monitoring import DriftRuleConfig, PsiConfig
from credit_scoring.features.encoding import is_categorical

STABLE, MODERATE, SIGNIFICANT = "stable", "moderate", "significant"
NUMERIC, CATEGORICAL = "numeric", "categorical"
FEATURE, SCORE = "feature", "score"
MISSING_BIN, OTHER_BIN, UNSEEN_BIN = "<missing>", "<other>", "<unseen>"

RESULT_COLUMNS = [
    "kind",
    "role",
    "psi",
    "band",
    "chi2",
    "dof",
    "p_value",
    "p_adjusted",
    "drifted",
    "n_reference",
    "n_current",
    "missing_reference",
    "missing_current",
]


# ---- counts -------------------------------------------------------------------------------------------------
@dataclass
class BinCounts:
    """Counts per bin of k features: arrays (k, n_bins), rows padded with empty bins to a common width."""

    features: list[str]
    kind: str
    reference: np.ndarray
    current: np.ndarray
    labels: list[list[str]]  # per feature, the names of its (unpadded) bins


def _as_matrix(df: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """(k, n) array of the columns, float32 if they all are (the feature table), else float64; inf -> NaN."""
    sub = df[list(cols)]
    dtype = np.float32 if all(sub.dtypes == np.float32) else np.float64
    a = np.ascontiguousarray(sub.to_numpy(dtype=dtype, na_value=np.nan).T)  # may be a view of `df`
    inf = np.isinf(a)
    return np.where(inf, np.nan, a) if inf.any() else a  # never written to in place


def quantile_edges(sorted_ref: np.ndarray, n_present: np.ndarray, bins: int) -> np.ndarray:
    """(k, bins-1) edges: numpy's linear quantiles i/bins of each row's present values (NaN sorted last).

    A row with no present value gets +inf edges (every present value falls into its first bin).
    """
    k = sorted_ref.shape[0]
    q = np.arange(1, bins, dtype=np.float64) / bins
    last = np.maximum(n_present - 1, 0)[:, None]
    pos = q[None, :] * last  # (k, bins-1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, last)
    rows = np.arange(k)[:, None]
    v_lo = sorted_ref[rows, lo].astype(np.float64)
    v_hi = sorted_ref[rows, hi].astype(np.float64)
    with np.errstate(invalid="ignore"):
        edges = v_lo + (pos - lo) * (v_hi - v_lo)
    edges[n_present == 0] = np.inf
    return edges


def reference_edges(sorted_ref: np.ndarray, n_present: np.ndarray, bins: int) -> np.ndarray:
    """(k, bins-1) edges: one bin per value for a feature with at most `bins` distinct reference values,
    else the reference's quantiles.

    Quantile edges alone cannot split a small mass at the bottom from a large one above it: a 0/1 flag
    that is 1 for 90% of the reference has every decile at 1, so (-inf, 1] would hold both values and the
    flag could never drift. Flags, one-hot indicators, ratings and small counts (the bulk of the feature
    table) are therefore binned by value: edges v1..v_{m-1} of their m distinct values, padded with
    repeats of the last (empty bins, which cost nothing).
    """
    edges = quantile_edges(sorted_ref, n_present, bins)
    k, n = sorted_ref.shape
    if n < 2:
        return edges
    change = sorted_ref[:, 1:] != sorted_ref[:, :-1]
    change &= np.arange(n - 1)[None, :] < (n_present - 1)[:, None]  # only among present values
    distinct = np.where(n_present > 0, change.sum(axis=1) + 1, 0)
    for j in np.flatnonzero((distinct >= 1) & (distinct <= bins)):
        row = sorted_ref[j, : n_present[j]]
        values = row[np.r_[True, change[j, : n_present[j] - 1]]].astype(np.float64)
        inner = values[:-1] if len(values) > 1 else values
        edges[j] = np.r_[inner, np.full(bins - 1 - len(inner), inner[-1])]
    return edges


def _binned(sorted_rows: np.ndarray, n_present: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(k, bins+1) counts: bins (-inf, e1], ..., (e_last, inf) of the present values, then the missing bin."""
    k, n = sorted_rows.shape
    le = np.empty((k, edges.shape[1]), dtype=np.int64)
    for j in range(k):  # k binary searches of bins-1 edges each: microseconds per feature
        le[j] = np.searchsorted(sorted_rows[j, : n_present[j]], edges[j], side="right")
    cum = np.concatenate([np.zeros((k, 1), np.int64), le, n_present[:, None]], axis=1)
    return np.concatenate([np.diff(cum, axis=1), (n - n_present)[:, None]], axis=1)


def _sorted_chunk(df: pd.DataFrame, cols: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    a = np.sort(_as_matrix(df, cols), axis=1)  # NaN last
    return a, (~np.isnan(a)).sum(axis=1)


def _numeric_labels(edges: np.ndarray) -> list[str]:
    names = [f"<= {edges[0]:.6g}"] + [
        f"({a:.6g}, {b:.6g}]" for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    return [*names, f"> {edges[-1]:.6g}", MISSING_BIN]


@dataclass
class ReferenceProfile:
    """What PSI needs of the reference population: its bins and its counts (fit once, compare many batches).

    numeric: quantile edges (k, bins-1) and counts (k, bins+1; the last bin is missing);
    categorical: kept levels and rarer levels per feature, counts over [levels, other, missing, unseen].
    """

    numeric: list[str]
    edges: np.ndarray
    numeric_counts: np.ndarray
    categorical: list[str]
    levels: list[list[str]]
    rare: list[set[str]]
    categorical_counts: np.ndarray
    n_rows: int

    @classmethod
    def fit(
        cls,
        reference: pd.DataFrame,
        columns: Sequence[str],
        cfg: PsiConfig,
        categorical: Iterable[str] = (),
    ) -> ReferenceProfile:
        """Bins of `columns` learnt on `reference` (`categorical`: columns to bin by level whatever their dtype)."""
        forced = set(categorical)
        cat = [c for c in columns if c in forced or is_categorical(reference[c])]
        num = [c for c in columns if c not in set(cat)]
        edges_parts, count_parts = [], []
        for start in range(0, len(num), cfg.chunk_columns):
            r, nr = _sorted_chunk(reference, num[start : start + cfg.chunk_columns])
            e = reference_edges(r, nr, cfg.bins)
            edges_parts.append(e)
            count_parts.append(_binned(r, nr, e))
            del r
        levels, rare, rows = [], [], []
        for col in cat:
            s = reference[col].astype("object")
            counts = s.dropna().astype(str).value_counts()
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            kept = [k for k, _ in ranked[: cfg.max_levels]]
            others = {k for k, _ in ranked[cfg.max_levels :]}
            levels.append(kept)
            rare.append(others)
            rows.append(
                [*(int(counts[k]) for k in kept), sum(int(counts[k]) for k in others), int(s.isna().sum()), 0]
            )
        return cls(
            numeric=num,
            edges=np.concatenate(edges_parts) if edges_parts else np.zeros((0, cfg.bins - 1)),
            numeric_counts=np.concatenate(count_parts)
            if count_parts
            else np.zeros((0, cfg.bins + 1), np.int64),
            categorical=cat,
            levels=levels,
            rare=rare,
            categorical_counts=_pad(rows),
            n_rows=len(reference),
        )

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def count(self, current: pd.DataFrame, chunk: int = 64) -> list[BinCounts]:
        """The current batch's counts on the reference's bins (numeric block, categorical block)."""
        out = []
        if self.numeric:
            parts = []
            for start in range(0, len(self.numeric), chunk):
                c, nc = _sorted_chunk(current, self.numeric[start : start + chunk])
                parts.append(_binned(c, nc, self.edges[start : start + chunk]))
            out.append(
                BinCounts(
                    self.numeric,
                    NUMERIC,
                    self.numeric_counts,
                    np.concatenate(parts),
                    [_numeric_labels(e) for e in self.edges],
                )
            )
        if self.categorical:
            rows = []
            for col, kept, others in zip(self.categorical, self.levels, self.rare, strict=True):
                s = current[col].astype("object")
                counts = s.dropna().astype(str).value_counts()
                kept_set = set(kept)
                rows.append(
                    [
                        *(int(counts.get(k, 0)) for k in kept),
                        sum(int(v) for k, v in counts.items() if k in others),
                        int(s.isna().sum()),
                        sum(int(v) for k, v in counts.items() if k not in kept_set and k not in others),
                    ]
                )
            cur = _pad(rows, self.categorical_counts.shape[1])
            labels = [[*kept, OTHER_BIN, MISSING_BIN, UNSEEN_BIN] for kept in self.levels]
            out.append(BinCounts(self.categorical, CATEGORICAL, self.categorical_counts, cur, labels))
        return out


def _pad(rows: list[list[int]], width: int | None = None) -> np.ndarray:
    width = max((len(r) for r in rows), default=0) if width is None else width
    out = np.zeros((len(rows), width), np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


# ---- statistics from counts ---------------------------------------------------------------------------------
def psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray, epsilon: float = 1e-4) -> np.ndarray:
    """PSI of each row of two (k, bins) count arrays; shares floored at epsilon (see the module docstring)."""
    ref = np.asarray(ref_counts, dtype=np.float64)
    cur = np.asarray(cur_counts, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ref / ref.sum(axis=1, keepdims=True)
        c = cur / cur.sum(axis=1, keepdims=True)
    r = np.maximum(np.nan_to_num(r, nan=0.0), epsilon)
    c = np.maximum(np.nan_to_num(c, nan=0.0), epsilon)
    out = ((c - r) * np.log(c / r)).sum(axis=1)
    empty = (ref.sum(axis=1) == 0) | (cur.sum(axis=1) == 0)
    out[empty] = np.nan
    return out


def chi2_from_counts(
    ref_counts: np.ndarray, cur_counts: np.ndarray, min_expected: float = 5.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chi-square test of homogeneity of each row: (statistic, dof, p-value).

    Bins empty on both sides are dropped; bins whose expected production count is below `min_expected`
    (Cochran's rule; rare levels, the missing bin of a mostly complete feature) are pooled into one bin,
    so that a handful of rare values cannot make the test's p-value too small.
    """
    ref = np.asarray(ref_counts, dtype=np.float64)
    cur = np.asarray(cur_counts, dtype=np.float64)
    n_r = ref.sum(axis=1, keepdims=True)
    n_c = cur.sum(axis=1, keepdims=True)
    total = ref + cur
    with np.errstate(invalid="ignore", divide="ignore"):
        share_c = n_c / (n_r + n_c)
        small = (total > 0) & (total * np.minimum(share_c, 1 - share_c) < min_expected)
        pooled_r = np.where(small, ref, 0.0).sum(axis=1, keepdims=True)
        pooled_c = np.where(small, cur, 0.0).sum(axis=1, keepdims=True)
        ref = np.concatenate([np.where(small, 0.0, ref), pooled_r], axis=1)
        cur = np.concatenate([np.where(small, 0.0, cur), pooled_c], axis=1)
        total = ref + cur
        e_r = total * (1 - share_c)
        e_c = total * share_c
        terms = np.where(total > 0, (ref - e_r) ** 2 / e_r + (cur - e_c) ** 2 / e_c, 0.0)
    stat = np.nan_to_num(terms, nan=0.0).sum(axis=1)
    dof = (total > 0).sum(axis=1) - 1
    p = np.where(dof > 0, chi2.sf(stat, np.maximum(dof, 1)), 1.0)
    bad = (n_r[:, 0] == 0) | (n_c[:, 0] == 0)
    p[bad] = np.nan
    stat[bad] = np.nan
    return stat, dof, p


def adjust_pvalues(p: np.ndarray, method: str = "bh") -> np.ndarray:
    """Multiple-comparison adjustment over the non-NaN p-values: "bh" (Benjamini-Hochberg), "bonferroni", "none"."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    v = p[ok]
    if method == "none":
        adj = v
    elif method == "bonferroni":
        adj = np.minimum(v * m, 1.0)
    elif method == "bh":
        order = np.argsort(v, kind="mergesort")
        ranked = v[order] * m / np.arange(1, m + 1)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        adj = np.empty(m)
        adj[order] = np.minimum(ranked, 1.0)
    else:
        raise ValueError(f"unknown correction {method!r} (bh, bonferroni, none)")
    out[ok] = adj
    return out


def psi_band(psi: np.ndarray | float, cfg: PsiConfig) -> np.ndarray:
    """'stable' (< moderate), 'moderate' (< significant), 'significant'; NaN PSI gives 'n/a'."""
    v = np.atleast_1d(np.asarray(psi, dtype=np.float64))
    out = np.where(v < cfg.moderate, STABLE, np.where(v < cfg.significant, MODERATE, SIGNIFICANT))
    return np.where(np.isnan(v), "n/a", out).astype(object)


def drift_decision(psi: np.ndarray, p_adjusted: np.ndarray, rule: DriftRuleConfig) -> np.ndarray:
    """drifted = p_adjusted < alpha and psi >= min_psi (NaN -> not drifted)."""
    psi = np.asarray(psi, dtype=np.float64)
    p_adjusted = np.asarray(p_adjusted, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (p_adjusted < rule.alpha) & (psi >= rule.min_psi)
