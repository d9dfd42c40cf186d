"""Metrics of calibrated probabilities, curve data for DVC plots, the oracle comparison and the figures.

All functions are pure: arrays or frames in, numbers or new frames out. Decisions use the rule of
`credit_scoring.modelling.costs`: refuse (1) when the probability is at or above the threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from credit_scoring.config.modelling import CostConfig
from credit_scoring.modelling.costs import (
    bayes_threshold,
    business_cost,
    cost_at_thresholds,
    cost_ratio,
    decisions,
)

FIGURE_INCHES = (6.0, 4.5)  # width, height of the curve figures
FIGURE_DPI = 100
IMPORTANCE_WIDTH_INCHES = 7.0  # room for long feature names
BAR_INCHES = 0.3  # height per bar of the importance figure (plus BAR_MARGIN_INCHES)
BAR_MARGIN_INCHES = 1.5


def ks_statistic(y: np.ndarray, probability: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the score distributions of defaulters and non-defaulters."""
    fpr, tpr, _ = roc_curve(y, probability)
    return float(np.max(tpr - fpr))


def classification_metrics(
    y: np.ndarray, probability: np.ndarray, threshold: float, cost: CostConfig
) -> dict[str, float]:
    """Ranking, calibration and decision metrics of one split."""
    y = np.asarray(y)
    decision = decisions(probability, threshold)
    tp = int(np.sum((decision == 1) & (y == 1)))
    auc = float(roc_auc_score(y, probability))
    return {
        "roc_auc": auc,
        "pr_auc": float(average_precision_score(y, probability)),
        "ks": ks_statistic(y, probability),
        "gini": 2 * auc - 1,
        "brier": float(brier_score_loss(y, probability)),
        "recall": tp / max(int(np.sum(y == 1)), 1),
        "precision": tp / max(int(np.sum(decision == 1)), 1),
        "accuracy": float(np.mean(decision == y)),
        "refusal_rate": float(np.mean(decision)),
        "business_cost": business_cost(y, decision, cost),
        "business_cost_ratio": cost_ratio(y, decision, cost),
        "rows": len(y),
        "positive_rate": float(np.mean(y)),
    }


def _thin(frame: pd.DataFrame, points: int) -> pd.DataFrame:
    """At most `points` rows, evenly spaced, first and last kept."""
    if len(frame) <= points:
        return frame.reset_index(drop=True)
    idx = np.unique(np.linspace(0, len(frame) - 1, points).round().astype(int))
    return frame.iloc[idx].reset_index(drop=True)


def roc_points(y: np.ndarray, probability: np.ndarray, points: int) -> pd.DataFrame:
    fpr, tpr, _ = roc_curve(y, probability)
    return _thin(pd.DataFrame({"fpr": fpr, "tpr": tpr}), points)


def pr_points(y: np.ndarray, probability: np.ndarray, points: int) -> pd.DataFrame:
    precision, recall, _ = precision_recall_curve(y, probability)
    return _thin(pd.DataFrame({"recall": recall[::-1], "precision": precision[::-1]}), points)


def calibration_points(y: np.ndarray, probability: np.ndarray, bins: int) -> pd.DataFrame:
    """Mean predicted against observed default rate per quantile bin of the predictions."""
    frame = pd.DataFrame({"p": np.asarray(probability, dtype="float64"), "y": np.asarray(y, dtype="float64")})
    frame["bin"] = pd.qcut(frame["p"].rank(method="first"), q=min(bins, len(frame)), labels=False)
    out = frame.groupby("bin").agg(predicted=("p", "mean"), observed=("y", "mean"), rows=("y", "size"))
    return out.reset_index(drop=True)


def cost_points(
    y_valid: np.ndarray,
    p_valid: np.ndarray,
    y_test: np.ndarray,
    p_test: np.ndarray,
    points: int,
    cost: CostConfig,
) -> pd.DataFrame:
    """Business cost per applicant against the threshold, on validation (where it is chosen) and test."""
    thresholds = np.linspace(0.0, 1.0, points)
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "valid_cost": cost_at_thresholds(y_valid, p_valid, thresholds, cost),
            "test_cost": cost_at_thresholds(y_test, p_test, thresholds, cost),
        }
    )


def load_oracle(path: Path | str, id_col: str, probability_col: str) -> pd.DataFrame | None:
    """The generator's oracle (id, true default probability), or None when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    if id_col not in frame.columns or probability_col not in frame.columns:
        return None
    return frame


def oracle_metrics(
    ids: np.ndarray,
    y: np.ndarray,
    oracle: pd.DataFrame | None,
    id_col: str,
    target: str,
    probability_col: str,
    cost: CostConfig,
) -> dict[str, float] | None:
    """ROC AUC and business cost (at the Bayes threshold) of the true probability on the same rows.

    None when there is no oracle, it does not cover every row, or its outcomes disagree with `y` (the
    oracle of another dataset).
    """
    if oracle is None:
        return None
    matched = pd.DataFrame({id_col: np.asarray(ids)}).merge(
        oracle, on=id_col, how="left", validate="one_to_one"
    )
    p_true = matched[probability_col].to_numpy(dtype="float64")
    if np.isnan(p_true).any():
        return None
    if target in matched.columns and not np.array_equal(matched[target].to_numpy(), np.asarray(y)):
        return None
    decision = decisions(p_true, bayes_threshold(cost))
    return {
        "oracle_roc_auc": float(roc_auc_score(y, p_true)),
        "oracle_business_cost": business_cost(y, decision, cost),
    }


# ---- figures (matplotlib, Agg backend) -----------------------------------------------------------------------
def _axes(title: str, xlabel: str, ylabel: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=FIGURE_INCHES, dpi=FIGURE_DPI)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def roc_figure(curves: dict[str, pd.DataFrame]):
    fig, ax = _axes("ROC curve", "false positive rate", "true positive rate")
    for label, c in curves.items():
        ax.plot(c["fpr"], c["tpr"], label=label)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.legend()
    return fig


def pr_figure(curves: dict[str, pd.DataFrame]):
    fig, ax = _axes("Precision-recall curve", "recall", "precision")
    for label, c in curves.items():
        ax.plot(c["recall"], c["precision"], label=label)
    ax.legend()
    return fig


def calibration_figure(points: dict[str, pd.DataFrame]):
    fig, ax = _axes("Calibration", "mean predicted probability", "observed default rate")
    top = 0.0
    for label, c in points.items():
        ax.plot(c["predicted"], c["observed"], marker="o", label=label)
        top = max(top, float(c["predicted"].max()), float(c["observed"].max()))
    ax.plot([0, top], [0, top], linestyle="--", color="grey", linewidth=1)
    ax.legend()
    return fig


def cost_figure(points: pd.DataFrame, threshold: float):
    fig, ax = _axes("Business cost per applicant", "threshold", "cost per applicant")
    ax.plot(points["threshold"], points["valid_cost"], label="validation")
    ax.plot(points["threshold"], points["test_cost"], label="test")
    ax.axvline(threshold, linestyle="--", color="black", linewidth=1, label=f"threshold {threshold:.3f}")
    ax.legend()
    return fig


def importance_figure(importance: pd.Series, top: int, title: str):
    head = importance.head(top)[::-1]
    fig, ax = _axes(title, "mean |SHAP value|", "")
    fig.set_size_inches(IMPORTANCE_WIDTH_INCHES, BAR_INCHES * len(head) + BAR_MARGIN_INCHES)
    ax.barh(head.index, head.to_numpy())
    fig.tight_layout()
    return fig
