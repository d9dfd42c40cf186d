"""Results by group (gender, age band) and the gaps between groups, for the model card.

The decision refuses a client when p >= threshold (decision 1 = refused, 0 = approved). Per group:
  * default rate: share of actual defaulters (y = 1);
  * approval rate: share approved (decision 0);
  * true positive rate: among the actual defaulters, the share refused (the model catching a default).
Across the groups with at least `min_group_size` rows (and, for the TPR, that many defaulters):
  * demographic parity difference = max - min approval rate;
  * equal opportunity difference = max - min true positive rate;
and a warning when either exceeds `max_gap`. The per-group figures are fairlearn's `MetricFrame` by group; the
gaps equal fairlearn's `demographic_parity_difference` (of the refusal rate: the same max - min) and
`equal_opportunity_difference` on the eligible groups (tests/unit/monitoring/test_fairness.py checks it). Age bands are whole years from DAYS_BIRTH (days before the
application, negative in Home Credit), cut at `age_edges`: with [25, 35, 45, 55], "<25", "25-34",
"35-44", "45-54", "55+".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate, true_positive_rate

from credit_scoring.config.monitoring import FairnessConfig

DAYS_PER_YEAR = 365.25
MISSING_GROUP = "<missing>"


def _fmt(x: float) -> str:
    return f"{x:g}"


def age_band_labels(edges: Sequence[float]) -> list[str]:
    edges = list(edges)
    labels = [f"<{_fmt(edges[0])}"]
    labels += [f"{_fmt(a)}-{_fmt(b - 1)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [*labels, f"{_fmt(edges[-1])}+"]


def age_bands(days_birth: pd.Series | np.ndarray, edges: Sequence[float]) -> pd.Series:
    """Band of each applicant's age in whole years (floor(-DAYS_BIRTH / 365.25)); missing stays missing."""
    days = pd.Series(days_birth, dtype="float64")
    years = np.floor(-days.to_numpy() / DAYS_PER_YEAR)
    labels = age_band_labels(edges)
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), years, side="right")
    out = pd.Series(
        pd.Categorical.from_codes(np.where(np.isnan(years), -1, idx), categories=labels), index=days.index
    )
    return out


def _approval_rate(y_true: np.ndarray, refused: np.ndarray) -> float:
    return 1.0 - float(selection_rate(y_true, refused))


def _defaulters(y_true: np.ndarray, refused: np.ndarray) -> int:
    return int(np.sum(y_true))


def _default_rate(y_true: np.ndarray, refused: np.ndarray) -> float:
    return float(np.mean(y_true))


def _tpr(y_true: np.ndarray, refused: np.ndarray) -> float:
    return float(true_positive_rate(y_true, refused)) if np.sum(y_true) else float("nan")


def group_table(y: np.ndarray | None, decision: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """Per group: rows, share, defaulters, default rate, approval rate, true positive rate (fairlearn's
    `MetricFrame` by group; the gaps between groups are its `difference()` over the eligible groups)."""
    g = groups.astype("object").where(groups.notna(), MISSING_GROUP).astype(str).to_numpy()
    refused = np.asarray(decision, dtype=np.int64)
    metrics: dict[str, Any] = {"rows": count, "approval_rate": _approval_rate}
    if y is not None:
        metrics.update(defaulters=_defaulters, default_rate=_default_rate, tpr=_tpr)
    y_true = np.zeros_like(refused) if y is None else np.asarray(y, dtype=np.int64)
    frame = MetricFrame(
        metrics=metrics, y_true=y_true, y_pred=refused, sensitive_features=pd.Series(g, name="group")
    ).by_group
    out = pd.DataFrame(index=frame.index.astype(str).rename("group"))
    out["rows"] = frame["rows"].astype(np.int64)
    out["approval_rate"] = frame["approval_rate"].astype(np.float64)
    if y is not None:
        out["defaulters"] = frame["defaulters"].astype(np.int64)
        out["default_rate"] = frame["default_rate"].astype(np.float64)
    out["share"] = out["rows"] / max(len(g), 1)
    if y is not None:
        out["tpr"] = frame["tpr"].astype(np.float64)
    if isinstance(groups.dtype, pd.CategoricalDtype):  # keep the bands' order
        order = [str(c) for c in groups.cat.categories if str(c) in out.index]
        out = out.reindex(order + [i for i in out.index if i not in order])
    return out


def _gap(values: pd.Series) -> tuple[float | None, str | None, str | None]:
    v = values.dropna()
    if len(v) < 2:
        return None, None, None
    return float(v.max() - v.min()), str(v.idxmax()), str(v.idxmin())


def fairness_report(
    frame: pd.DataFrame,
    p: Any,
    y: Any | None,
    threshold: float,
    cfg: FairnessConfig,
) -> dict[str, Any]:
    """Per group column of cfg.group_columns (the age band computed from cfg.age_column): table, gaps, warnings.

    frame: the applicants (rows aligned with p and y); p: predicted probabilities of default; y: actual
    outcomes (None: only approval rates and the demographic parity difference).
    """
    p = np.asarray(p, dtype=np.float64)
    if len(p) != len(frame) or (y is not None and len(np.asarray(y)) != len(frame)):
        raise ValueError("frame, p and y must have the same number of rows")
    decision = (p >= threshold).astype(np.int64)
    y_arr = None if y is None else np.asarray(y, dtype=np.int64)
    out: dict[str, Any] = {
        "threshold": float(threshold),
        "max_gap": cfg.max_gap,
        "groups": {},
        "warnings": [],
    }
    for col in cfg.group_columns:
        if col == cfg.age_band_column and col not in frame.columns:
            if cfg.age_column not in frame.columns:
                out["warnings"].append(f"{col}: no {cfg.age_column} column, age bands not computed")
                continue
            groups = age_bands(frame[cfg.age_column].reset_index(drop=True), cfg.age_edges)
        elif col in frame.columns:
            groups = frame[col].reset_index(drop=True)
        else:
            out["warnings"].append(f"{col}: not in the data, left out")
            continue
        table = group_table(y_arr, decision, groups)
        eligible = table["rows"] >= cfg.min_group_size
        dp, dp_hi, dp_lo = _gap(table.loc[eligible, "approval_rate"])
        entry: dict[str, Any] = {
            "table": table.reset_index().to_dict(orient="records"),
            "min_group_size": cfg.min_group_size,
            "excluded_groups": [str(g) for g in table.index[~eligible]],
            "demographic_parity_difference": dp,
            "demographic_parity_groups": [dp_hi, dp_lo],
            "equal_opportunity_difference": None,
            "equal_opportunity_groups": [None, None],
        }
        if dp is not None and dp > cfg.max_gap:
            out["warnings"].append(
                f"{col}: demographic parity difference {dp:.3f} > {cfg.max_gap:.3f} "
                f"(approval rate {dp_hi} vs {dp_lo})"
            )
        if y_arr is not None:
            eo_ok = eligible & (table["defaulters"] >= cfg.min_group_size)
            eo, eo_hi, eo_lo = _gap(table.loc[eo_ok, "tpr"])
            entry["equal_opportunity_difference"] = eo
            entry["equal_opportunity_groups"] = [eo_hi, eo_lo]
            if eo is not None and eo > cfg.max_gap:
                out["warnings"].append(
                    f"{col}: equal opportunity difference {eo:.3f} > {cfg.max_gap:.3f} "
                    f"(true positive rate {eo_hi} vs {eo_lo})"
                )
        out["groups"][col] = entry
    return out
