"""The drift report's page (report.html beside summary.json): the verdict and its reasons, the populations,
the PSI of every feature against the bands, the most shifted features and raw columns, the score's bins,
Evidently's verdict with a link to its own report, and the performance on labelled rows.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.policy import PolicyVerdict
from credit_scoring.monitoring.psi import FEATURE, SCORE
from credit_scoring.monitoring.summary import SUMMARY_FILE, build_summary
from credit_scoring.monitoring.validation_report import battery_html
from credit_scoring.reporting.html import cell, figure, page, when
from credit_scoring.reporting.html import table as html_table

DRIFT_HTML = "report.html"
BAND_COLORS = {"stable": "#4caf50", "moderate": "#ff9800", "significant": "#e53935", "n/a": "#9e9e9e"}


PIPELINE_NOTE = (
    "The pipeline's report (dvc repro): it states no time, so that the same inputs give the same bytes; when "
    "it ran is in its MLflow run and in the reports index."
)


def psi_bar_figure(table: pd.DataFrame, cfg: MonitoringConfig, top: int = 40) -> go.Figure:
    """Horizontal bars of the score and the `top` largest-PSI features, coloured by band, band edges drawn."""
    t = table.copy()
    t = pd.concat([t[t["role"] == SCORE], t[t["role"] == FEATURE].head(top)])
    t = t.iloc[::-1]  # largest on top
    labels = [f"{n} (score)" if r == SCORE else str(n) for n, r in zip(t.index, t["role"], strict=True)]
    fig = go.Figure(
        go.Bar(
            x=t["psi"],
            y=labels,
            orientation="h",
            marker={
                "color": [BAND_COLORS.get(b, "#9e9e9e") for b in t["band"]],
                "line": {"color": ["#000" if d else "rgba(0,0,0,0)" for d in t["drifted"]], "width": 2},
            },
            customdata=np.stack([t["band"], np.where(t["drifted"], "drifted", "not drifted")], axis=1),
            hovertemplate="%{y}: PSI %{x:.4f} (%{customdata[0]}, %{customdata[1]})<extra></extra>",
        )
    )
    for x, name in ((cfg.psi.moderate, "moderate"), (cfg.psi.significant, "significant")):
        fig.add_vline(x=x, line_dash="dash", line_color=BAND_COLORS[name], annotation_text=f"{name} ({x:g})")
    fig.update_layout(
        title=f"PSI: the score and the {min(top, int((table['role'] == FEATURE).sum()))} most shifted features "
        "(black outline: drifted)",
        xaxis_title="PSI",
        height=max(400, 22 * len(t) + 120),
    )
    return fig


def score_bins_figure(bins: pd.DataFrame, name: str = "score") -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=bins["bin"], y=bins["reference_share"], name="reference")
    fig.add_bar(x=bins["bin"], y=bins["current_share"], name="production")
    fig.update_layout(
        title=f"{name}: share of rows per reference bin", yaxis_tickformat=".0%", barmode="group"
    )
    return fig


def _rel(target: Path | str, start: Path) -> str:
    return Path(os.path.relpath(Path(target).resolve(), start.resolve())).as_posix()


def drift_html(
    summary: Mapping[str, Any],
    table: pd.DataFrame,
    out_dir: Path,
    cfg: MonitoringConfig,
    score_bins: pd.DataFrame | None = None,
    title: str = "Drift report",
) -> str:
    """The drift report's page: verdict, populations, every feature, the score, Evidently, performance."""
    pol = summary["policy"]
    meta = summary.get("metadata", {})
    css = "action" if pol["action_required"] else "ok"
    reasons = (
        "".join(f"<li>{html.escape(r)}</li>" for r in pol["reasons"]) or "<li>no rule was triggered</li>"
    )
    parts = [
        f"<p class='muted'>Generated {html.escape(when(summary['generated_at']))}</p>"
        if summary.get("generated_at")
        else f"<p class='muted'>{PIPELINE_NOTE}</p>",
        f"<div class='verdict {css}'><b>{html.escape(pol['status'].upper())}</b><ul>{reasons}</ul></div>",
    ]
    if meta:
        rows = pd.DataFrame({"": list(meta), "value": [json.dumps(v) if isinstance(v, dict | list) else v
                                                          for v in meta.values()]})  # fmt: skip
        parts.append("<h2>Populations and model</h2>" + html_table(rows))
    c = summary["counts"]
    rule = cfg.drift
    parts.append(
        "<h2>Every feature</h2>"
        f"<p>{c['features']:,} features compared; <b>{c['drifted']:,} drifted</b> "
        f"({pol['drifted_share']:.1%}; policy bound {pol['max_drifted_share']:.0%}). PSI bands: "
        f"{c['bands']['stable']:,} stable (&lt; {cfg.psi.moderate:g}), {c['bands']['moderate']:,} moderate, "
        f"{c['bands']['significant']:,} significant (&ge; {cfg.psi.significant:g}).</p>"
        f"<p class='muted'>A feature is <i>drifted</i> when its change is significant (chi-square test on the "
        f"PSI bins, {rule.correction} adjustment across the features, p &lt; {rule.alpha:g}) and not negligible "
        f"(PSI &ge; {rule.min_psi:g}). PSI uses {cfg.psi.bins} reference-quantile bins (numeric) or levels "
        "(categorical), missing values and unseen levels as bins of their own.</p>"
    )
    parts.append(figure(psi_bar_figure(table, cfg)))
    feats = table[table["role"] == FEATURE]
    top = feats[feats["drifted"]].head(cfg.report.top_table)
    if len(top) < cfg.report.top_table:
        top = pd.concat([top, feats[~feats["drifted"]].head(cfg.report.top_table - len(top))])
    show = top.reset_index()[
        ["feature", "kind", "psi", "band", "drifted", "p_adjusted", "missing_reference", "missing_current"]
    ]
    parts.append(f"<h2>Most shifted features (top {len(show)})</h2>" + html_table(show))
    if summary.get("raw_columns"):
        raw = pd.DataFrame.from_dict(summary["raw_columns"], orient="index")
        raw = raw[raw["drifted"]].sort_values("psi", ascending=False)
        if len(raw):
            raw = raw.assign(
                features=raw["features"].map(lambda f: ", ".join(f[:5]) + (" …" if len(f) > 5 else ""))
            )
            parts.append(
                "<h2>Drifted raw application columns</h2>" + html_table(raw.reset_index(names="column"))
            )
    if summary.get("score"):
        s = summary["score"]
        parts.append(
            f"<h2>Predicted probability ({html.escape(s['name'])})</h2><p>PSI {cell(s['psi'])} ({s['band']}), "
            f"{'drifted' if s['drifted'] else 'not drifted'} (p = {cell(s['p_value'])}).</p>"
        )
        if score_bins is not None:
            parts.append(figure(score_bins_figure(score_bins, s["name"])))
    ev = summary.get("evidently")
    if ev:
        link = ""
        if ev.get("html"):
            target = Path(ev["html"])  # relative: to the summary's own folder
            href = target.as_posix() if not target.is_absolute() else _rel(target, out_dir)
            link = f" <a href='{html.escape(href)}'>Open the Evidently report</a>."
        verdict = "passed" if ev["passed"] else "FAILED"
        cols = pd.DataFrame.from_dict(ev["columns"], orient="index").reset_index(names="column")
        parts.append(
            f"<h2>Evidently (top features + score)</h2><p>Evidently's tests <b>{verdict}</b>: "
            f"{cell(ev['drifted_share'], 3)} of its {len(cols)} columns drifted on {ev['rows_reference']:,} / "
            f"{ev['rows_current']:,} sampled rows.{link}</p>" + html_table(cols)
        )
    perf = summary.get("performance")
    if perf:
        parts.append(performance_html(perf))
    return page(title, "".join(parts), plotly=True)


def performance_html(perf: Mapping[str, Any]) -> str:
    batch, ref = perf["batch"], perf.get("reference")
    keys = ("rows", "default_rate", "mean_predicted", "roc_auc", "brier", "ece")
    rows = [{"figure": k, "batch": batch.get(k), "test": (ref or {}).get(k)} for k in keys]
    rows.append({"figure": "cost per client", "batch": batch["cost"]["cost_per_client"],
                 "test": (ref or {}).get("cost", {}).get("cost_per_client")})  # fmt: skip
    warn = "".join(f"<li class='warn'>{html.escape(w)}</li>" for w in perf.get("warnings", []))
    cal = pd.DataFrame(batch["calibration"])
    fig = calibration_figure(cal, pd.DataFrame(ref["calibration"]) if ref else None)
    cost = batch["cost"]
    return (
        "<h2>Performance on the labelled batch</h2>"
        + (f"<ul>{warn}</ul>" if warn else "")
        + html_table(pd.DataFrame(rows))
        + f"<p class='muted'>Cost = {batch['costs']['fn']:g}·FN + {batch['costs']['fp']:g}·FP at threshold "
        f"{cost['threshold']:g} (FN {cost['fn']:,}, FP {cost['fp']:,}).</p>"
        + figure(fig)
        + (
            battery_html(perf["validation"], "PD validation of the labelled batch")
            if perf.get("validation")
            else ""
        )
    )


def calibration_figure(batch: pd.DataFrame, reference: pd.DataFrame | None = None) -> go.Figure:
    fig = go.Figure()
    top = float(max(batch["predicted"].max(), batch["observed"].max(), 0.05)) * 1.05
    fig.add_scatter(
        x=[0, top], y=[0, top], mode="lines", name="perfect", line={"dash": "dot", "color": "#999"}
    )
    if reference is not None and len(reference):
        fig.add_scatter(x=reference["predicted"], y=reference["observed"], mode="lines+markers", name="test")
    fig.add_scatter(x=batch["predicted"], y=batch["observed"], mode="lines+markers", name="batch")
    fig.update_layout(
        title="Calibration (equal-count bins)", xaxis_title="mean predicted", yaxis_title="observed"
    )
    return fig


def write_summary_report(
    out_dir: Path,
    summary: Mapping[str, Any],
    table: pd.DataFrame,
    cfg: MonitoringConfig,
    score_bins: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write out_dir/summary.json (the summary as it is in memory) and out_dir/report.html; their paths."""
    out_dir = Path(out_dir)
    paths = {"summary": out_dir / SUMMARY_FILE, "html": out_dir / DRIFT_HTML}
    write_text(json.dumps(summary, indent=2) + "\n", paths["summary"])
    write_text(drift_html(summary, table, out_dir, cfg, score_bins), paths["html"])
    return paths


def write_drift_report(
    out_dir: Path,
    table: pd.DataFrame,
    verdict: PolicyVerdict,
    cfg: MonitoringConfig,
    metadata: Mapping[str, Any] | None = None,
    performance: Mapping[str, Any] | None = None,
    score_bins: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """The drift report of a table alone (the standalone drift check: no Evidently, no raw columns):
    `build_summary` then `write_summary_report`; returns the files' paths."""
    summary = build_summary(table, verdict, cfg, metadata=metadata, performance=performance)
    return write_summary_report(out_dir, summary, table, cfg, score_bins)
