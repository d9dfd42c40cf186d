"""Drift over time: PSI per feature per batch (e.g. monthly production batches) and a line chart.

The reference's bins are learnt once (ReferenceProfile) and every batch is compared on them, so a series
of twelve batches costs one reference pass plus twelve small ones. The drift decision is made per batch
(the p-values adjusted across the features of that batch), exactly as for a single report. Owns the series'
files: psi_series.csv (the long table), series.html (line chart + PSI matrix) and series.json's batch entries.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.drift import compare
from credit_scoring.monitoring.psi import FEATURE, SCORE, ReferenceProfile
from credit_scoring.reporting.html import MISSING_VALUE, figure, page

SERIES_CSV = "psi_series.csv"
SERIES_HTML = "series.html"
SERIES_SUMMARY = "series.json"
BAND_COLORS = {"stable": "#e8f5e9", "moderate": "#fff8e1", "significant": "#ffebee"}


def psi_series(
    reference: pd.DataFrame,
    batches: Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]],
    columns: Iterable[str] | None = None,
    score_column: str | None = None,
    *,
    cfg: MonitoringConfig,
) -> pd.DataFrame:
    """Long table: batch, feature, role, psi, band, p_adjusted, drifted (batches in the given order)."""
    items = list(batches.items()) if isinstance(batches, Mapping) else list(batches)
    if columns is None:
        columns = [c for c in reference.columns if c != score_column]
    columns = list(columns)
    profile = ReferenceProfile.fit(reference, columns, cfg.psi)
    score_profile = ReferenceProfile.fit(reference, [score_column], cfg.psi) if score_column else None
    frames = []
    for order, (name, batch) in enumerate(items):
        parts = [compare(profile, batch, cfg, FEATURE)]
        if score_profile is not None:
            parts.append(compare(score_profile, batch, cfg, SCORE))
        parts = [p for p in parts if len(p)] or parts[:1]  # no empty frame in the concat (pandas warns)
        t = pd.concat(parts).reset_index()
        t.insert(0, "batch", str(name))
        t.insert(1, "order", order)
        frames.append(t)
    cols = ["batch", "order", "feature", "role", "kind", "psi", "band", "p_adjusted", "drifted", "n_current"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def psi_series_with_score(
    reference: pd.DataFrame,
    score_reference: np.ndarray,
    batches: Sequence[tuple[str, pd.DataFrame]],
    cfg: MonitoringConfig,
) -> pd.DataFrame:
    """`psi_series` of the columns of `reference` (the training split's features) in every batch, then of the
    score (each batch's `report.score_column`) against its own reference, the test split's probabilities."""
    col = cfg.report.score_column
    features = psi_series(reference, batches, columns=list(reference.columns), cfg=cfg)
    scores = [(name, batch[[col]]) for name, batch in batches]
    score = psi_series(pd.DataFrame({col: score_reference}), scores, columns=[], score_column=col, cfg=cfg)
    return pd.concat([features, score], ignore_index=True)


def batch_order(series: pd.DataFrame) -> list[str]:
    """The batches of a series, in their order."""
    return series.drop_duplicates("batch").sort_values("order")["batch"].tolist()


def psi_matrix(series: pd.DataFrame, values: str = "psi") -> pd.DataFrame:
    """Wide view: one row per feature, one column per batch (in order), PSI values (or another column)."""
    return series.pivot(index="feature", columns="batch", values=values)[batch_order(series)]


def top_series_features(series: pd.DataFrame, top: int = 10) -> list[str]:
    """The score (if any) and the `top` features with the largest PSI in any batch."""
    feats = series[series["role"] == FEATURE].groupby("feature")["psi"].max().fillna(-1.0)
    ranked = sorted(feats.items(), key=lambda kv: (-kv[1], kv[0]))
    scores = series.loc[series["role"] == SCORE, "feature"].unique().tolist()
    return [*scores, *[f for f, _ in ranked[:top]]]


def series_figure(
    series: pd.DataFrame, cfg: MonitoringConfig, features: Sequence[str] | None = None
) -> go.Figure:
    """PSI per batch of the chosen features (default: the score + top 10), over the band backgrounds."""
    features = list(features) if features is not None else top_series_features(series)
    order = batch_order(series)
    top_y = max(float(series["psi"].max(skipna=True) or 0.0) * 1.1, cfg.psi.significant * 1.2)
    fig = go.Figure()
    for lo, hi, band in (
        (0, cfg.psi.moderate, "stable"),
        (cfg.psi.moderate, cfg.psi.significant, "moderate"),
        (cfg.psi.significant, top_y, "significant"),
    ):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_COLORS[band], line_width=0, layer="below")
    for feat in features:
        s = series[series["feature"] == feat].set_index("batch").reindex(order)
        drifted = s["drifted"].fillna(False).astype(bool)
        fig.add_trace(
            go.Scatter(
                x=order,
                y=s["psi"],
                mode="lines+markers",
                name=feat,
                line={"width": 3 if (s["role"] == SCORE).any() else 1.5},
                marker={"symbol": ["x" if d else "circle" for d in drifted], "size": 8},
                hovertemplate=f"{feat}<br>%{{x}}: PSI %{{y:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(
        title="PSI per batch (x: drifted in that batch)",
        xaxis_title="batch",
        xaxis_type="category",
        yaxis_title="PSI",
        yaxis_range=[0, top_y],
        template="plotly_white",
        legend={"orientation": "v"},
    )
    return fig


def psi_matrix_html(series: pd.DataFrame, top: int = 60) -> str:
    """Features x batches PSI table (score first, then by largest PSI), drifted cells in bold."""
    order = batch_order(series)
    psi, drifted = psi_matrix(series), psi_matrix(series, "drifted")
    scores = series.loc[series["role"] == SCORE, "feature"].unique().tolist()
    rest = psi.drop(index=scores).max(axis=1).sort_values(ascending=False).index[:top].tolist()
    head = "<th>feature</th>" + "".join(f"<th>{html.escape(str(b))}</th>" for b in order)
    rows = []
    for feat in [*scores, *rest]:
        cells = []
        for b in order:
            v, d = psi.at[feat, b], bool(drifted.at[feat, b])
            text = MISSING_VALUE if pd.isna(v) else f"{v:.3f}"
            cells.append(f"<td class='num'>{'<b>' if d else ''}{text}{'</b>' if d else ''}</td>")
        rows.append(f"<tr><td>{html.escape(str(feat))}</td>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_series_report(
    series: pd.DataFrame, path: Path, cfg: MonitoringConfig, title: str = "Drift over time"
) -> Path:
    """A self-contained HTML page: the line chart and the PSI matrix (features x batches), drifted in bold."""
    body = figure(series_figure(series, cfg))
    body += "<h2>PSI per feature and batch</h2>" + psi_matrix_html(series)
    write_text(page(title, body, plotly=True), Path(path))
    return Path(path)


def batch_entry(rows: int, mean_score: float, performance: Mapping[str, Any] | None) -> dict[str, Any]:
    """A batch of series.json: rows, mean score and, with labels, the performance figures and warnings
    (`performance.compare_performance`)."""
    entry: dict[str, Any] = {"rows": rows, "mean_score": float(mean_score)}
    if performance is not None:
        batch = performance["batch"]
        entry["performance"] = {k: batch[k] for k in ("roc_auc", "brier", "ece", "default_rate")}
        entry["performance"]["cost_per_client"] = batch["cost"]["cost_per_client"]
        entry["warnings"] = performance["warnings"]
    return entry


def add_drift(entries: Mapping[str, dict[str, Any]], series: pd.DataFrame) -> None:
    """Each batch's score PSI and count of drifted features, from the series, into its entry."""
    drifted = series[series["role"] != SCORE].groupby("batch", sort=False)["drifted"].sum()
    for name, entry in entries.items():
        s = series[(series["batch"] == name) & (series["role"] == SCORE)]
        entry["score_psi"] = float(s["psi"].iloc[0]) if len(s) else None
        entry["drifted_features"] = int(drifted.get(name, 0))
