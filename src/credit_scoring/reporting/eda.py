"""Stage `eda`: one self-contained HTML report (plotly.js inlined once) a non-expert can read.

Sections: the data at a glance (tables, rows, undeclared columns, orphan keys), target balance, missing
values, the most informative features (univariate ROC AUC) with their distributions by target, and the
correlations between them. Read from the train split only, so that nothing is learnt from valid/test.
The page, its figures and tables are the shared shell of `credit_scoring.reporting.html`.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.stats import rankdata

from credit_scoring.config import EdaConfig
from credit_scoring.reporting.html import figure, page, table

CLASS_COLORS = {0: "#2b8cbe", 1: "#e34a33"}
CLIP_QUANTILES = (0.01, 0.99)  # histograms show the central 98% so that outliers do not squash them


def univariate_auc(X: pd.DataFrame, y: np.ndarray, min_coverage: float) -> pd.DataFrame:
    """ROC AUC of each feature alone (on its present rows), its strength |AUC - 0.5| and coverage."""
    rows = []
    y = np.asarray(y).astype(bool)
    for col in X.columns:
        v = X[col].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(v)
        coverage = float(ok.mean()) if len(v) else 0.0
        yp = y[ok]
        n1 = int(yp.sum())
        n0 = int(len(yp) - n1)
        if coverage < min_coverage or n1 == 0 or n0 == 0 or np.nanmin(v) == np.nanmax(v):
            continue
        ranks = rankdata(v[ok])
        auc = (ranks[yp].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
        rows.append({"feature": col, "auc": auc, "strength": abs(auc - 0.5), "coverage": coverage})
    out = pd.DataFrame(rows, columns=["feature", "auc", "strength", "coverage"])
    return out.sort_values(["strength", "feature"], ascending=[False, True], ignore_index=True)


def target_figure(y: pd.Series) -> go.Figure:
    counts = y.value_counts().reindex([0, 1], fill_value=0)
    share = counts / max(int(counts.sum()), 1)
    fig = go.Figure(
        go.Bar(
            x=["repaid (0)", "defaulted (1)"],
            y=counts.to_numpy(),
            text=[f"{n:,} ({s:.1%})" for n, s in zip(counts, share, strict=True)],
            textposition="auto",
            marker_color=[CLASS_COLORS[0], CLASS_COLORS[1]],
        )
    )
    fig.update_layout(title="Applicants by outcome", yaxis_title="applicants", height=380)
    return fig


def missing_figure(X: pd.DataFrame, top: int) -> tuple[go.Figure | None, pd.Series]:
    share = X.isna().mean().sort_values(ascending=False)
    shown = share[share > 0].head(top)
    if shown.empty:
        return None, share
    fig = go.Figure(go.Bar(x=shown.to_numpy()[::-1], y=list(shown.index)[::-1], orientation="h"))
    fig.update_layout(
        title=f"Share of missing values (the {len(shown)} most incomplete features)",
        xaxis={"tickformat": ".0%", "range": [0, 1]},
        height=max(300, 18 * len(shown) + 120),
    )
    return fig, share


def distributions_figure(X: pd.DataFrame, y: np.ndarray, features: list[str], bins: int) -> go.Figure:
    cols = 3
    rows = max(1, -(-len(features) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=features)
    for i, feat in enumerate(features):
        v = X[feat].to_numpy(dtype="float64", na_value=np.nan)
        lo, hi = np.nanquantile(v, CLIP_QUANTILES)
        if lo == hi:
            lo, hi = np.nanmin(v), np.nanmax(v)
        edges = np.linspace(lo, hi, bins + 1) if hi > lo else np.array([lo - 0.5, lo + 0.5])
        centers = (edges[:-1] + edges[1:]) / 2
        for cls in (0, 1):
            vals = v[(y == cls) & ~np.isnan(v)]
            hist, _ = np.histogram(np.clip(vals, edges[0], edges[-1]), bins=edges)
            dens = hist / max(hist.sum(), 1)
            fig.add_trace(
                go.Scatter(
                    x=centers,
                    y=dens,
                    mode="lines",
                    line={"color": CLASS_COLORS[cls], "shape": "hvh"},
                    fill="tozeroy",
                    opacity=0.5,
                    name="repaid" if cls == 0 else "defaulted",
                    showlegend=i == 0,
                    legendgroup=str(cls),
                ),
                row=i // cols + 1,
                col=i % cols + 1,
            )
    fig.update_layout(
        title="How the most informative features differ between repaid and defaulted applicants "
        "(share of each group per bin)",
        height=260 * rows + 100,
    )
    return fig


def correlation_figure(X: pd.DataFrame, y: pd.Series, features: list[str], target: str) -> go.Figure:
    frame = X[features].astype("float64").assign(**{target: y.to_numpy(dtype="float64")})
    corr = frame.rank().corr(min_periods=2)  # Spearman: robust to skewed amounts
    labels = list(corr.columns)
    fig = go.Figure(
        go.Heatmap(
            z=corr.to_numpy(),
            x=labels,
            y=labels,
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            reversescale=True,
            colorbar={"title": "rank corr."},
        )
    )
    fig.update_layout(
        title="Rank correlations between the most informative features and the target",
        height=max(450, 22 * len(labels) + 200),
        yaxis={"autorange": "reversed"},
    )
    return fig


def build_report(
    train: pd.DataFrame,
    cfg: EdaConfig,
    id_col: str,
    target: str,
    dataset: str,
    ingest_report: dict[str, Any] | None = None,
    split_summary: dict[str, Any] | None = None,
) -> str:
    """The report's HTML for a train-split frame (id, target, features)."""
    if len(train) > cfg.sample_rows:
        train = train.sample(n=cfg.sample_rows, random_state=cfg.seed)
    y = train[target].astype("int64")
    X = train.drop(columns=[id_col, target])
    ranking = univariate_auc(X, y.to_numpy(), cfg.min_coverage)
    top = list(ranking["feature"].head(cfg.top_features))
    corr_feats = list(ranking["feature"].head(cfg.correlation_features))
    sections: list[str] = []

    rate = float(y.mean()) if len(y) else float("nan")
    sections.append(
        "<h2>1. The data at a glance</h2>"
        f"<p>Dataset <b>{html.escape(dataset)}</b>. This report reads the <b>training part</b> of the data "
        f"({len(train):,} applicants{' sampled' if len(train) == cfg.sample_rows else ''}, "
        f"{X.shape[1]:,} features per applicant). The validation and test parts are kept unseen.</p>"
    )
    if ingest_report:
        rows = []
        for name, t in ingest_report.get("tables", {}).items():
            orphans = sum(o["rows"] for o in t.get("orphans", {}).values())
            rows.append(
                {
                    "table": name,
                    "rows": f"{t['rows']:,}",
                    "columns": t["columns"],
                    "undeclared columns (kept)": ", ".join(t.get("extra_columns", [])) or "-",
                    "rows whose parent is missing (kept)": f"{orphans:,}",
                }
            )
        sections.append("<h3>Input tables</h3>" + table(pd.DataFrame(rows)))
    if split_summary:
        parts = pd.DataFrame(
            [
                {"part": k, "applicants": f"{v['rows']:,}", "default rate": f"{v['target_rate']:.2%}"}
                for k, v in split_summary["parts"].items()
            ]
        )
        sections.append("<h3>Train / validation / test</h3>" + table(parts))

    sections.append(
        "<h2>2. How many applicants defaulted?</h2>"
        f"<p>{rate:.2%} of the applicants in the training part defaulted. A model that always answered "
        "'repays' would be right most of the time and useless: this imbalance is why the project measures "
        "models with ROC AUC and precision/recall rather than accuracy.</p>" + figure(target_figure(y))
    )
    fig, share = missing_figure(X, cfg.missing_top)
    complete = int((share == 0).sum())
    sections.append(
        "<h2>3. Missing values</h2>"
        f"<p>{complete:,} of {len(share):,} features are always filled in. A missing value is not an error: "
        "many applicants simply have no credit bureau record, no previous application or no card, so the "
        "features summarising those tables are empty for them. The models used here handle missing values "
        "directly.</p>" + (figure(fig) if fig is not None else "<p>No feature has missing values.</p>")
    )
    if top:
        shown = ranking.head(cfg.top_features).assign(
            auc=lambda d: d["auc"].map("{:.3f}".format),
            strength=lambda d: d["strength"].map("{:.3f}".format),
            coverage=lambda d: d["coverage"].map("{:.0%}".format),
            direction=lambda d: np.where(
                d["auc"].astype(float) > 0.5, "higher value, more defaults", "higher value, fewer defaults"
            ),
        )
        sections.append(
            "<h2>4. The most informative features</h2>"
            "<p>Each feature is scored on its own by ROC AUC: 0.5 means it says nothing about default, "
            "1.0 (or 0.0) that it separates defaulters perfectly. <i>strength</i> is the distance from 0.5; "
            "<i>coverage</i> the share of applicants for whom the feature is known.</p>"
            + table(shown[["feature", "auc", "strength", "coverage", "direction"]])
            + "<p>The curves compare the two groups: where the red curve (defaulted) sits away from the blue "
            "one (repaid), the feature helps tell them apart.</p>"
            + figure(distributions_figure(X, y.to_numpy(), top, cfg.histogram_bins))
        )
    if len(corr_feats) >= 2:
        sections.append(
            "<h2>5. Correlations</h2><p>Features that move together (dark red or dark blue) carry much the "
            "same information. The last row and column show each feature against the target.</p>"
            + figure(correlation_figure(X, y, corr_feats, target))
        )
    return page(f"Exploratory data analysis - {dataset}", "".join(sections), plotly=True)
