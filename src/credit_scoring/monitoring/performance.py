"""Performance of the model on a labelled batch (the labels that arrive later), against the test figures.

For y (1 = default) and p (predicted probability of default), refusing when p >= threshold (the champion's):
  * ROC AUC (None when the batch has one class only);
  * business cost: the pipeline's own (`credit_scoring.modelling.costs.business_cost` with `evaluation.cost`),
    per client (so that batches of any size compare) and in total, with the confusion counts;
  * calibration: the train stage's equal-count bins of p (`modelling.evaluation.calibration_points`,
    `evaluation.calibration_bins`), with each bin's range and gap (observed - predicted); expected calibration
    error (row-weighted mean of |gap|); Brier score; mean predicted vs observed default rate.
`compare_performance` puts a batch beside the reference (test) figures with the differences and warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from credit_scoring.config.modelling import CostConfig
from credit_scoring.config.monitoring import PerformanceConfig
from credit_scoring.modelling.costs import business_cost, decisions
from credit_scoring.modelling.evaluation import calibration_points
from credit_scoring.stats.delong import auc_ci


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


def decision_cost(y: Any, p: Any, threshold: float, cost: CostConfig) -> dict[str, float]:
    """Confusion counts at `threshold` (refuse when p >= threshold) and the business cost, per client and in
    total."""
    y, p = _arrays(y, p)
    decision = decisions(p, threshold)
    refuse = decision == 1
    fn = int((~refuse & (y == 1)).sum())
    fp = int((refuse & (y == 0)).sum())
    return {
        "threshold": float(threshold),
        "tp": int((refuse & (y == 1)).sum()),
        "fp": fp,
        "fn": fn,
        "tn": int((~refuse & (y == 0)).sum()),
        "cost": float(cost.false_negative * fn + cost.false_positive * fp),
        "cost_per_client": business_cost(y, decision, cost) if len(y) else float("nan"),
        "refusal_rate": float(refuse.mean()) if len(y) else float("nan"),
    }


CALIBRATION_COLUMNS = ["bin", "rows", "predicted", "observed", "p_min", "p_max", "gap"]


def calibration_table(y: Any, p: Any, bins: int) -> pd.DataFrame:
    """The equal-count bins of `calibration_points` (ties broken by order): bin, rows, mean predicted,
    observed default rate, the bin's lowest and highest p, gap = observed - predicted."""
    y, p = _arrays(y, p)
    if not len(p):
        return pd.DataFrame(columns=CALIBRATION_COLUMNS)
    out = calibration_points(y, p, bins)
    rows = out["rows"].to_numpy()
    ends = np.cumsum(rows)  # the bins are consecutive runs of the sorted probabilities
    sorted_p = np.sort(p)
    out["bin"] = np.arange(len(out))
    out["p_min"] = sorted_p[ends - rows]
    out["p_max"] = sorted_p[ends - 1]
    out["gap"] = out["observed"] - out["predicted"]
    return out[CALIBRATION_COLUMNS]


def expected_calibration_error(table: pd.DataFrame) -> float:
    rows = table["rows"].to_numpy(dtype=np.float64)
    return float((rows * table["gap"].abs()).sum() / rows.sum()) if rows.sum() else float("nan")


def performance_metrics(y: Any, p: Any, threshold: float, cost: CostConfig, bins: int) -> dict[str, Any]:
    """All figures of a labelled batch at the champion's `threshold`, with the pipeline's `cost` and
    `bins` calibration bins (`evaluation.cost`, `evaluation.calibration_bins`)."""
    y, p = _arrays(y, p)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    cal = calibration_table(y, p, bins)
    return {
        "rows": len(y),
        "default_rate": float(y.mean()) if len(y) else float("nan"),
        "mean_predicted": float(p.mean()) if len(y) else float("nan"),
        "roc_auc": auc,
        "roc_auc_se": auc_ci(y, p).se if auc is not None else None,  # DeLong
        "brier": float(np.mean((p - y) ** 2)) if len(y) else float("nan"),
        "ece": expected_calibration_error(cal),
        "cost": decision_cost(y, p, threshold, cost),
        "costs": {"fn": cost.false_negative, "fp": cost.false_positive},
        "calibration": cal.to_dict(orient="records"),
    }


def compare_performance(
    batch: Mapping[str, Any], reference: Mapping[str, Any] | None, cfg: PerformanceConfig
) -> dict[str, Any]:
    """The batch's figures beside the reference (test) figures, their differences and the warnings."""
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
