"""The drift table of a report: one row per feature (and the score) with its PSI, band, chi-square test and
drift decision (`compare`, `drift_table`, `drift_with_score`), one column's bins (`bin_table`) and the drift
rolled up to the raw columns the features come from (`trace_to_raw`). The statistics are `psi`'s.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from credit_scoring.config.monitoring import MonitoringConfig, PsiConfig
from credit_scoring.monitoring.psi import (
    FEATURE,
    MISSING_BIN,
    RESULT_COLUMNS,
    SCORE,
    ReferenceProfile,
    adjust_pvalues,
    chi2_from_counts,
    drift_decision,
    psi_band,
    psi_from_counts,
)


def compare(
    profile: ReferenceProfile, current: pd.DataFrame, cfg: MonitoringConfig, role: str = FEATURE
) -> pd.DataFrame:
    """One row per column of `profile` (index: feature): PSI, band, chi-square test, drift decision.

    The p-values are adjusted across the rows of this call (one family), in the profile's column order.
    """
    missing = sorted(set(profile.columns) - set(current.columns))
    if missing:
        raise KeyError(f"columns missing from the production frame: {missing[:10]}")
    frames = []
    for bc in profile.count(current, cfg.psi.chunk_columns):
        psi = psi_from_counts(bc.reference, bc.current, cfg.psi.epsilon)
        stat, dof, p = chi2_from_counts(bc.reference, bc.current)
        n_r = bc.reference.sum(axis=1)
        n_c = bc.current.sum(axis=1)
        rows = np.arange(len(bc.features))
        miss = np.array([lab.index(MISSING_BIN) for lab in bc.labels], dtype=np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "kind": bc.kind,
                    "role": role,
                    "psi": psi,
                    "chi2": stat,
                    "dof": dof,
                    "p_value": p,
                    "n_reference": n_r,
                    "n_current": n_c,
                    "missing_reference": bc.reference[rows, miss] / np.maximum(n_r, 1),
                    "missing_current": bc.current[rows, miss] / np.maximum(n_c, 1),
                },
                index=pd.Index(bc.features, name="feature"),
            )
        )
    if not frames:
        out = pd.DataFrame(columns=RESULT_COLUMNS, index=pd.Index([], name="feature"))
        out["drifted"] = out["drifted"].astype(bool)
        return out
    out = pd.concat(frames).reindex([c for c in profile.columns])
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), cfg.drift.correction)
    out["band"] = psi_band(out["psi"].to_numpy(), cfg.psi)
    out["drifted"] = drift_decision(out["psi"].to_numpy(), out["p_adjusted"].to_numpy(), cfg.drift)
    return out[RESULT_COLUMNS]


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Iterable[str] | None = None,
    score_column: str | None = None,
    *,
    cfg: MonitoringConfig,
) -> pd.DataFrame:
    """PSI, band, chi-square test and drift decision of every column, one row per column (index: feature).

    columns: the features (default: the columns both frames have, the score column excepted). The score
    column, when given, is a row of its own (role "score") tested on its own: the p-values of the features
    are adjusted across the features only, so that the score's verdict does not depend on how many
    features there are. Sorted by PSI, largest first (missing PSI last).
    """
    if columns is None:
        columns = [c for c in reference.columns if c in set(current.columns) and c != score_column]
    columns = list(dict.fromkeys(columns))
    wanted = [*columns, *([score_column] if score_column else [])]
    missing = sorted(set(wanted) - set(reference.columns)) + sorted(set(wanted) - set(current.columns))
    if missing:
        raise KeyError(f"columns missing from the reference or the production frame: {missing[:10]}")
    parts = [compare(ReferenceProfile.fit(reference, columns, cfg.psi), current, cfg, FEATURE)]
    if score_column is not None:
        parts.append(compare(ReferenceProfile.fit(reference, [score_column], cfg.psi), current, cfg, SCORE))
    out = pd.concat([p for p in parts if len(p)]) if any(len(p) for p in parts) else parts[0]
    return by_psi(out)


def by_psi(table: pd.DataFrame) -> pd.DataFrame:
    """A drift table sorted by PSI, largest first (missing PSI last, ties in their order)."""
    return table.sort_values("psi", ascending=False, na_position="last", kind="mergesort")


def drift_with_score(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    score_reference: np.ndarray,
    score_current: np.ndarray,
    cfg: MonitoringConfig,
) -> pd.DataFrame:
    """`drift_table` of every column of `reference` (the training split's features) and a row for the score
    (`report.score_column`) against its own reference: the probabilities of the held-out test split (the
    training rows' own scores are in-sample, sharper than any new population's). Sorted by PSI."""
    col = cfg.report.score_column
    features = drift_table(reference, current, list(reference.columns), cfg=cfg)
    profile = ReferenceProfile.fit(pd.DataFrame({col: score_reference}), [col], cfg.psi)
    score = compare(profile, pd.DataFrame({col: score_current}), cfg, SCORE)
    return by_psi(pd.concat([features, score]))


def bin_table(reference: pd.DataFrame, current: pd.DataFrame, column: str, cfg: PsiConfig) -> pd.DataFrame:
    """One column's bins: label, counts and shares on both sides and its PSI term (for plots and audits)."""
    (bc,) = ReferenceProfile.fit(reference, [column], cfg).count(current)
    labels = bc.labels[0]
    r = bc.reference[0, : len(labels)].astype(np.float64)
    c = bc.current[0, : len(labels)].astype(np.float64)
    rs = r / max(r.sum(), 1)
    cs = c / max(c.sum(), 1)
    rf, cf = np.maximum(rs, cfg.epsilon), np.maximum(cs, cfg.epsilon)
    return pd.DataFrame(
        {
            "bin": labels,
            "reference": r.astype(np.int64),
            "current": c.astype(np.int64),
            "reference_share": rs,
            "current_share": cs,
            "psi_term": (cf - rf) * np.log(cf / rf),
        }
    )


def trace_to_raw(table: pd.DataFrame, raw_columns: Iterable[str]) -> pd.DataFrame:
    """Roll a feature table's drift up to the raw columns it comes from.

    A feature belongs to the raw column of the same name, or to the longest raw column name it starts with
    followed by "_" (the features stage's one-hot indicators: NAME_CONTRACT_TYPE_Cash_loans). Per raw
    column: the largest PSI, drifted if any of its features drifted, and the features. Features of no raw
    column (aggregates of the side tables, domain ratios) are left out.
    """
    raw = sorted(set(raw_columns), key=len, reverse=True)
    owner: dict[str, str] = {}
    for feat in table.index:
        if feat in raw:
            owner[feat] = feat
            continue
        for col in raw:
            if feat.startswith(col + "_"):
                owner[feat] = col
                break
    rows = []
    for col in sorted(set(owner.values())):
        feats = [f for f, o in owner.items() if o == col]
        sub = table.loc[feats]
        rows.append(
            {
                "column": col,
                "psi": float(sub["psi"].max()),
                "drifted": bool(sub["drifted"].any()),
                "features": feats,
            }
        )
    return pd.DataFrame(rows, columns=["column", "psi", "drifted", "features"]).set_index("column")
