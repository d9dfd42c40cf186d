"""Drift over time: PSI per feature per batch (e.g. monthly production batches) and a line chart.

The reference's bins are learnt once (ReferenceProfile) and every batch is compared on them, so a series
of twelve batches costs one reference pass plus twelve small ones. The drift decision is made per batch
(the p-values adjusted across the features of that batch), exactly as for a single report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.psi import FEATURE, SCORE, ReferenceProfile, compare

BAND_COLORS = {"stable": "#e8f5e9", "moderate": "#fff8e1", "significant": "#ffebee"}


def psi_series(
    reference: pd.DataFrame,
    batches: Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]],
    columns: Iterable[str] | None = None,
    score_column: str | None = None,
    cfg: MonitoringConfig | None = None,
) -> pd.DataFrame:
    """Long table: batch, feature, role, psi, band, p_adjusted, drifted (batches in the given order)."""
    cfg = cfg or MonitoringConfig()
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


def psi_matrix(series: pd.DataFrame) -> pd.DataFrame:
    """Wide view: one row per feature, one column per batch (in order), PSI values."""
    order = series.drop_duplicates("batch").sort_values("order")["batch"].tolist()
    return series.pivot(index="feature", columns="batch", values="psi")[order]


def top_series_features(series: pd.DataFrame, top: int = 10) -> list[str]:
    """The score (if any) and the `top` features with the largest PSI in any batch."""
    feats = series[series["role"] == FEATURE].groupby("feature")["psi"].max().fillna(-1.0)
    ranked = sorted(feats.items(), key=lambda kv: (-kv[1], kv[0]))
    scores = series.loc[series["role"] == SCORE, "feature"].unique().tolist()
    return [*scores, *[f for f, _ in ranked[:top]]]


def series_figure(
    series: pd.DataFrame, features: Sequence[str] | None = None, cfg: MonitoringConfig | None = None
) -> go.Figure:
    """PSI per batch of the chosen features (default: the score + top 10), over the band backgrounds."""
    cfg = cfg or MonitoringConfig()
    features = list(features) if features is not None else top_series_features(series)
    order = series.drop_duplicates("batch").sort_values("order")["batch"].tolist()
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


def write_series_report(
    series: pd.DataFrame, path: Path, cfg: MonitoringConfig | None = None, title: str = "Drift over time"
) -> Path:
    """A self-contained HTML page: the line chart and the PSI matrix (features x batches), drifted in bold."""
    from credit_scoring.monitoring.report import page, psi_matrix_html

    fig = series_figure(series, cfg=cfg)
    body = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    body += "<h2>PSI per feature and batch</h2>" + psi_matrix_html(series)
    write_text(page(title, body, plotly=True), Path(path))
    return Path(path)
