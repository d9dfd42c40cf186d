"""Performance of the model on a labelled batch (the labels that arrive later), against the test figures.

For y (1 = default) and p (predicted probability of default), refusing when p >= threshold:
  * ROC AUC (None when the batch has one class only);
  * business cost: cost_fn * FN + cost_fp * FP (FN: a defaulter accepted, FP: a good client refused),
    total and per client (divided by the batch's rows, so that batches of any size compare);
  * calibration: rows cut into `calibration_bins` equal-count bins of p (deciles by default), with the
    mean predicted and the observed default rate per bin; expected calibration error (row-weighted mean
    of |observed - predicted|); Brier score; mean predicted vs observed default rate.
`compare_performance` puts a batch beside the reference (test) figures with the differences and warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from credit_scoring.config.monitoring import PerformanceConfig


def _arrays(y: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"y and p must be 1-d of the same length, got {y.shape} and {p.shape}")
    ok = ~(np.isnan(y) | np.isnan(p))
    y, p = y[ok], p[ok]
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0/1")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("p must be probabilities in [0, 1]")
    return y.astype(np.int64), p


def business_cost(
    y: Any, p: Any, threshold: float = 0.5, cost_fn: float = 10.0, cost_fp: float = 1.0
) -> dict[str, float]:
    """Confusion counts at `threshold` (refuse when p >= threshold) and the cost, total and per client."""
    y, p = _arrays(y, p)
    refuse = p >= threshold
    tp = int((refuse & (y == 1)).sum())
    fp = int((refuse & (y == 0)).sum())
    fn = int((~refuse & (y == 1)).sum())
    tn = int((~refuse & (y == 0)).sum())
    total = cost_fn * fn + cost_fp * fp
    return {
        "threshold": float(threshold),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "cost": float(total),
        "cost_per_client": float(total / len(y)) if len(y) else float("nan"),
        "refusal_rate": float(refuse.mean()) if len(y) else float("nan"),
    }


def calibration_table(y: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Equal-count bins of p (ties broken by order): rows, mean predicted, observed default rate, edges."""
    y, p = _arrays(y, p)
    n = len(p)
    order = np.argsort(p, kind="mergesort")
    b = np.empty(n, dtype=np.int64)
    b[order] = np.arange(n) * bins // max(n, 1)
    frame = pd.DataFrame({"bin": b, "y": y, "p": p})
    out = frame.groupby("bin").agg(
        rows=("y", "size"),
        predicted=("p", "mean"),
        observed=("y", "mean"),
        p_min=("p", "min"),
        p_max=("p", "max"),
    )
    out["gap"] = out["observed"] - out["predicted"]
    return out.reset_index()


def expected_calibration_error(table: pd.DataFrame) -> float:
    rows = table["rows"].to_numpy(dtype=np.float64)
    return float((rows * table["gap"].abs()).sum() / rows.sum()) if rows.sum() else float("nan")


def performance_metrics(
    y: Any, p: Any, cfg: PerformanceConfig | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """All figures of a labelled batch; `threshold` (the champion's) overrides cfg.threshold."""
    cfg = cfg or PerformanceConfig()
    y, p = _arrays(y, p)
    thr = cfg.threshold if threshold is None else float(threshold)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    cal = calibration_table(y, p, cfg.calibration_bins)
    return {
        "rows": len(y),
        "default_rate": float(y.mean()) if len(y) else float("nan"),
        "mean_predicted": float(p.mean()) if len(y) else float("nan"),
        "roc_auc": auc,
        "brier": float(np.mean((p - y) ** 2)) if len(y) else float("nan"),
        "ece": expected_calibration_error(cal),
        "cost": business_cost(y, p, thr, cfg.cost_fn, cfg.cost_fp),
        "costs": {"fn": cfg.cost_fn, "fp": cfg.cost_fp},
        "calibration": cal.to_dict(orient="records"),
    }


def compare_performance(
    batch: Mapping[str, Any], reference: Mapping[str, Any] | None, cfg: PerformanceConfig | None = None
) -> dict[str, Any]:
    """The batch's figures beside the reference (test) figures, their differences and the warnings."""
    cfg = cfg or PerformanceConfig()
    out: dict[str, Any] = {"batch": dict(batch), "reference": dict(reference) if reference else None}
    warnings: list[str] = []
    if reference:
        delta: dict[str, float | None] = {}
        for key in ("roc_auc", "brier", "ece", "default_rate", "mean_predicted"):
            a, b = batch.get(key), reference.get(key)
            delta[key] = None if a is None or b is None else float(a) - float(b)
        a, b = batch["cost"]["cost_per_client"], reference["cost"]["cost_per_client"]
        delta["cost_per_client"] = float(a - b)
        out["delta"] = delta
        if delta["roc_auc"] is not None and delta["roc_auc"] < -cfg.max_auc_drop:
            warnings.append(
                f"ROC AUC fell by {-delta['roc_auc']:.3f} (from {reference['roc_auc']:.3f} to "
                f"{batch['roc_auc']:.3f}; bound {cfg.max_auc_drop:.3f})"
            )
        if b > 0 and (a - b) / b > cfg.max_cost_increase:
            warnings.append(
                f"cost per client rose by {(a - b) / b:.0%} (from {b:.3f} to {a:.3f}; "
                f"bound {cfg.max_cost_increase:.0%})"
            )
    out["warnings"] = warnings
    return out


def labelled_batch(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    id_column: str = "SK_ID_CURR",
    target: str = "TARGET",
    score_column: str = "score",
) -> pd.DataFrame:
    """Predictions joined to the labels that arrived (e.g. the generator's oracle.csv): id, y, p (inner join)."""
    missing = [c for c in (id_column, score_column) if c not in predictions.columns]
    missing += [c for c in (id_column, target) if c not in labels.columns]
    if missing:
        raise KeyError(f"missing column(s) {missing}")
    joined = predictions[[id_column, score_column]].merge(
        labels[[id_column, target]], on=id_column, how="inner"
    )
    return joined.rename(columns={score_column: "p", target: "y"})
