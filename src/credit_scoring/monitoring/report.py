"""The auditor's files: drift summary.json + HTML page, model card (Markdown + HTML), reports index.

* `build_summary` / `write_drift_report`: ``summary.json`` =
  ``{"schema": 1, "generated_at", "metadata", "policy": {status, action_required, reasons, ...},
  "score": {psi, band, drifted, ...} | null, "features": {NAME: {"psi", "band", "drifted", "kind",
  "p_value", "p_adjusted", "chi2", "dof", "missing_reference", "missing_current", "evidently"?}},
  "counts": {...}, "raw_columns": {...}?, "evidently": {...}?, "performance": {...}?, "config": {...}}``
  (NaN written as null), and ``report.html``: verdict, PSI bar chart over the bands, the most drifted
  features, the score's bins, the Evidently verdict with a link to its own HTML, performance if labels came.
* `write_model_card`: ``model_card.md`` (jinja2), ``model_card.html`` (the same Markdown rendered by
  markdown-it) and ``model_card_calibration.svg`` (a plain SVG, shown by both).
* `write_index`: ``index.html`` listing every report under the reports folder by date, newest first.
Every file is written atomically (temporary sibling + rename).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from credit_scoring.config.monitoring import MonitoringConfig
from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.evidently_report import EvidentlyResult
from credit_scoring.monitoring.policy import PolicyVerdict
from credit_scoring.monitoring.psi import FEATURE, SCORE, trace_to_raw

SCHEMA_VERSION = 1
SUMMARY_FILE = "summary.json"
DRIFT_HTML = "report.html"
MODEL_CARD_MD = "model_card.md"
MODEL_CARD_HTML = "model_card.html"
CALIBRATION_SVG = "model_card_calibration.svg"
INDEX_HTML = "index.html"
BAND_COLORS = {"stable": "#4caf50", "moderate": "#ff9800", "significant": "#e53935", "n/a": "#9e9e9e"}
STYLE = (
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.5}h1{border-bottom:2px solid #ddd}h2{margin-top:2em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}"
    "th{background:#f4f4f4}.verdict{padding:1em;border-radius:6px;font-size:1.2em;margin:1em 0}"
    ".action{background:#ffebee;border:2px solid #e53935}.ok{background:#e8f5e9;border:2px solid #4caf50}"
    ".warn{color:#b71c1c}.muted{color:#777}td.num{text-align:right;font-variant-numeric:tabular-nums}"
)


# ---- helpers ------------------------------------------------------------------------------------------------
def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _when(iso: str) -> str:
    """An ISO UTC timestamp as people read it: 2025-01-31 12:00:00 UTC."""
    return iso.replace("T", " ").replace("+00:00", " UTC")


def clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars/arrays -> Python, paths -> str, tuples/sets -> lists."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def page(title: str, body: str, plotly: bool = False) -> str:
    """A self-contained HTML page (plotly.js inlined when the page has charts: it opens offline)."""
    script = ""
    if plotly:
        from plotly.offline import get_plotlyjs

        script = f"<script type='text/javascript'>{get_plotlyjs()}</script>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style>{script}</head><body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _fig(fig: go.Figure) -> str:
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 50})
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _f(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        return f"{float(v):.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{float(v):.{digits}f}"
    return html.escape(str(v))


def html_table(frame: pd.DataFrame, digits: int = 4) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for v in r:
            num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
            cells.append(f"<td class='num'>{_f(v, digits)}</td>" if num else f"<td>{_f(v, digits)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---- drift summary ------------------------------------------------------------------------------------------
_ROW_KEYS = (
    "kind", "psi", "band", "drifted", "chi2", "dof", "p_value", "p_adjusted",
    "n_reference", "n_current", "missing_reference", "missing_current",
)  # fmt: skip


def _row(r: pd.Series) -> dict[str, Any]:
    d = {k: r[k] for k in _ROW_KEYS}
    d["drifted"] = bool(d["drifted"])
    return d


def build_summary(
    table: pd.DataFrame,
    verdict: PolicyVerdict,
    cfg: MonitoringConfig | None = None,
    evidently: EvidentlyResult | None = None,
    metadata: Mapping[str, Any] | None = None,
    raw_columns: Sequence[str] | None = None,
    performance: Mapping[str, Any] | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The summary.json document (see the module docstring), JSON-safe."""
    cfg = cfg or MonitoringConfig()
    ev_cols = evidently.columns if evidently is not None else pd.DataFrame()
    features: dict[str, Any] = {}
    score: dict[str, Any] | None = None
    for name, r in table.iterrows():
        entry = _row(r)
        if name in ev_cols.index:
            e = ev_cols.loc[name]
            entry["evidently"] = {"method": e["method"], "score": e["score"], "drifted": bool(e["drifted"])}
        if r["role"] == SCORE:
            score = {"name": str(name), **entry}
        else:
            features[str(name)] = entry
    feats = table[table["role"] == FEATURE]
    counts = {
        "features": len(feats),
        "drifted": int(feats["drifted"].sum()),
        "bands": {b: int((feats["band"] == b).sum()) for b in ("stable", "moderate", "significant", "n/a")},
    }
    doc: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "generated_at": generated_at or now_utc(),
        "metadata": dict(metadata or {}),
        "policy": verdict.to_dict(),
        "score": score,
        "counts": counts,
        "features": features,
    }
    if raw_columns is not None:
        traced = trace_to_raw(feats, raw_columns)
        doc["raw_columns"] = {
            str(c): {"psi": r["psi"], "drifted": bool(r["drifted"]), "features": list(r["features"])}
            for c, r in traced.iterrows()
        }
    if evidently is not None:
        doc["evidently"] = evidently.to_dict()
    if performance is not None:
        doc["performance"] = dict(performance)
    doc["config"] = cfg.to_dict()
    return clean(doc)


def psi_bar_figure(table: pd.DataFrame, cfg: MonitoringConfig | None = None, top: int = 40) -> go.Figure:
    """Horizontal bars of the score and the `top` largest-PSI features, coloured by band, band edges drawn."""
    cfg = cfg or MonitoringConfig()
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
    cfg: MonitoringConfig | None = None,
    score_bins: pd.DataFrame | None = None,
    title: str = "Drift report",
) -> str:
    cfg = cfg or MonitoringConfig()
    pol = summary["policy"]
    meta = summary.get("metadata", {})
    css = "action" if pol["action_required"] else "ok"
    reasons = (
        "".join(f"<li>{html.escape(r)}</li>" for r in pol["reasons"]) or "<li>no rule was triggered</li>"
    )
    parts = [
        f"<p class='muted'>Generated {html.escape(_when(summary['generated_at']))}</p>",
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
    parts.append(_fig(psi_bar_figure(table, cfg)))
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
            f"<h2>Predicted probability ({html.escape(s['name'])})</h2><p>PSI {_f(s['psi'])} ({s['band']}), "
            f"{'drifted' if s['drifted'] else 'not drifted'} (p = {_f(s['p_value'])}).</p>"
        )
        if score_bins is not None:
            parts.append(_fig(score_bins_figure(score_bins, s["name"])))
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
            f"{_f(ev['drifted_share'], 3)} of its {len(cols)} columns drifted on {ev['rows_reference']:,} / "
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
        f"{cost['threshold']:g} (FN {cost['fn']:,}, FP {cost['fp']:,}).</p>" + _fig(fig)
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


def write_drift_report(
    out_dir: Path,
    table: pd.DataFrame,
    verdict: PolicyVerdict,
    cfg: MonitoringConfig | None = None,
    evidently: EvidentlyResult | None = None,
    metadata: Mapping[str, Any] | None = None,
    raw_columns: Sequence[str] | None = None,
    performance: Mapping[str, Any] | None = None,
    score_bins: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write out_dir/summary.json and out_dir/report.html; returns their paths."""
    out_dir = Path(out_dir)
    summary = build_summary(table, verdict, cfg, evidently, metadata, raw_columns, performance)
    paths = {"summary": out_dir / SUMMARY_FILE, "html": out_dir / DRIFT_HTML}
    write_text(json.dumps(summary, indent=2) + "\n", paths["summary"])
    write_text(drift_html(summary, table, out_dir, cfg, score_bins), paths["html"])
    return paths


def psi_matrix_html(series: pd.DataFrame, top: int = 60) -> str:
    """Features x batches PSI table (score first, then by largest PSI), drifted cells in bold."""
    order = series.drop_duplicates("batch").sort_values("order")["batch"].tolist()
    psi = series.pivot(index="feature", columns="batch", values="psi")[order]
    drifted = series.pivot(index="feature", columns="batch", values="drifted")[order]
    scores = series.loc[series["role"] == SCORE, "feature"].unique().tolist()
    rest = psi.drop(index=scores).max(axis=1).sort_values(ascending=False).index[:top].tolist()
    head = "<th>feature</th>" + "".join(f"<th>{html.escape(str(b))}</th>" for b in order)
    rows = []
    for feat in [*scores, *rest]:
        cells = []
        for b in order:
            v, d = psi.at[feat, b], bool(drifted.at[feat, b])
            text = "–" if pd.isna(v) else f"{v:.3f}"
            cells.append(f"<td class='num'>{'<b>' if d else ''}{text}{'</b>' if d else ''}</td>")
        rows.append(f"<tr><td>{html.escape(str(feat))}</td>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---- model card ---------------------------------------------------------------------------------------------
DEFAULT_INTENDED_USE = (
    "Estimate the probability that an applicant for a consumer loan defaults, to support (not replace) a "
    "credit officer's decision to approve or refuse the application."
)
DEFAULT_LIMITS = [
    "Trained on the Home Credit Default Risk schema; it is valid only for applicants like the training "
    "population. Check the drift report before trusting its scores on a new population.",
    "Not for pricing, marketing, collections or any decision about people other than the applicant.",
    "The probability is calibrated on the training population; calibration degrades under drift.",
    "Group results below are descriptive: a gap is a signal to investigate, not a proof of unfairness, "
    "and groups that are small carry wide uncertainty.",
]

MODEL_CARD_TEMPLATE = """\
# Model card: {{ model.name | default("credit scoring model") }}

{% if model %}| | |
|---|---|
{% for k, v in model.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% endif %}
_Generated {{ generated_at }}._

## Intended use

{{ intended_use }}

## Limits

{% for item in limits %}- {{ item }}
{% endfor %}
## Training data

{% if training_data %}| | |
|---|---|
{% for k, v in training_data.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Metrics

{% if metrics %}| metric | value |
|---|---|
{% for k, v in metrics.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Calibration

{% if calibration %}![Calibration curve]({{ calibration_svg }})

| bin | rows | mean predicted | observed default rate |
|---|---|---|---|
{% for r in calibration %}| {{ r.bin }} | {{ r.rows }} | {{ r.predicted | fmt }} | {{ r.observed | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Threshold and cost assumptions

An application is refused when the predicted probability of default is at least **{{ threshold | fmt }}**.
Accepting a client who defaults (false negative) is assumed to cost **{{ cost_fn | fmt }}**, refusing a client
who would have repaid (false positive) **{{ cost_fp | fmt }}**; the business cost is {{ cost_fn | fmt }}·FN +
{{ cost_fp | fmt }}·FP, reported per client.
{% if threshold_note %}
{{ threshold_note }}
{% endif %}
## Results by group

{% if fairness and fairness.groups %}Decision threshold {{ fairness.threshold | fmt }}; gaps are computed over groups of at least
{{ fairness_min }} rows (and as many defaulters for the true positive rate); bound {{ fairness.max_gap | fmt }}.
Approval rate: share approved. True positive rate: among actual defaulters, the share refused.

{% for col, g in fairness.groups.items() %}### {{ col }}

| group | rows | default rate | approval rate | true positive rate |
|---|---|---|---|---|
{% for r in g.table %}| {{ r.group }} | {{ r.rows }} | {{ r.default_rate | fmt }} | {{ r.approval_rate | fmt }} | {{ r.tpr | fmt }} |
{% endfor %}
- Demographic parity difference: **{{ g.demographic_parity_difference | fmt }}**{% if g.demographic_parity_groups[0] %} ({{ g.demographic_parity_groups[0] }} vs {{ g.demographic_parity_groups[1] }}){% endif %}
- Equal opportunity difference: **{{ g.equal_opportunity_difference | fmt }}**{% if g.equal_opportunity_groups[0] %} ({{ g.equal_opportunity_groups[0] }} vs {{ g.equal_opportunity_groups[1] }}){% endif %}
{% if g.excluded_groups %}- Left out of the gaps (too small): {{ g.excluded_groups | join(", ") }}
{% endif %}
{% endfor %}{% if fairness.warnings %}**Warnings**

{% for w in fairness.warnings %}- ⚠ {{ w }}
{% endfor %}{% else %}No gap exceeds the bound.
{% endif %}{% else %}Not computed.
{% endif %}
{% if monitoring %}## Monitoring

{% for k, v in monitoring.items() %}- {{ k }}: {{ v }}
{% endfor %}{% endif %}"""


def _fmt_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) >= 1e-3 or v == 0 else f"{v:.3g}"
    return str(v)


def calibration_svg(
    calibration: Sequence[Mapping[str, Any]],
    reference: Sequence[Mapping[str, Any]] | None = None,
    width: int = 420,
    height: int = 360,
) -> str:
    """A plain SVG reliability diagram (no script: it shows in Markdown viewers and in the HTML card)."""
    pad = 50
    pts = [(float(r["predicted"]), float(r["observed"])) for r in calibration]
    ref = [(float(r["predicted"]), float(r["observed"])) for r in reference or []]
    top = max([0.05, *(max(x, y) for x, y in pts + ref)]) * 1.05

    def xy(x: float, y: float) -> str:
        return f"{pad + x / top * (width - 2 * pad):.1f},{height - pad - y / top * (height - 2 * pad):.1f}"

    def line(points: list[tuple[float, float]], color: str) -> str:
        d = " ".join(xy(x, y) for x, y in points)
        dots = "".join(f"<circle cx='{xy(x, y).split(',')[0]}' cy='{xy(x, y).split(',')[1]}' r='3' fill='{color}'/>"
                       for x, y in points)  # fmt: skip
        return f"<polyline points='{d}' fill='none' stroke='{color}' stroke-width='2'/>{dots}"

    ticks = "".join(
        f"<text x='{xy(t, 0).split(',')[0]}' y='{height - pad + 16}' font-size='11' text-anchor='middle'>{t:.2f}</text>"
        f"<text x='{pad - 6}' y='{xy(0, t).split(',')[1]}' font-size='11' text-anchor='end'>{t:.2f}</text>"
        for t in np.linspace(0, top, 5)
    )
    legend = "<text x='60' y='20' font-size='12' fill='#1f77b4'>● model</text>"
    if ref:
        legend += "<text x='140' y='20' font-size='12' fill='#ff7f0e'>● reference</text>"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='sans-serif'>"
        f"<rect width='100%' height='100%' fill='white'/>"
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#333'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='#333'/>"
        f"<polyline points='{xy(0, 0)} {xy(top, top)}' stroke='#999' stroke-dasharray='4 4' fill='none'/>"
        f"{ticks}{line(ref, '#ff7f0e') if ref else ''}{line(pts, '#1f77b4')}{legend}"
        f"<text x='{width / 2}' y='{height - 10}' font-size='12' text-anchor='middle'>mean predicted</text>"
        f"<text x='14' y='{height / 2}' font-size='12' text-anchor='middle' "
        f"transform='rotate(-90 14 {height / 2})'>observed default rate</text></svg>\n"
    )


def render_model_card(context: Mapping[str, Any]) -> str:
    """The model card's Markdown from a context (see write_model_card)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["fmt"] = _fmt_value
    return env.from_string(MODEL_CARD_TEMPLATE).render(**context)


def markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def write_model_card(
    reports_dir: Path,
    *,
    model: Mapping[str, Any] | None = None,
    training_data: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    calibration: Sequence[Mapping[str, Any]] | None = None,
    fairness: Mapping[str, Any] | None = None,
    threshold: float = 0.5,
    cost_fn: float = 10.0,
    cost_fp: float = 1.0,
    intended_use: str = DEFAULT_INTENDED_USE,
    limits: Sequence[str] = tuple(DEFAULT_LIMITS),
    monitoring: Mapping[str, Any] | None = None,
    threshold_note: str | None = None,
    generated_at: str | None = None,
) -> dict[str, Path]:
    """Write model_card.md, model_card.html and model_card_calibration.svg into reports_dir.

    calibration: performance.calibration_table records (bin, rows, predicted, observed) on the test split;
    fairness: fairness.fairness_report output; metrics: name -> value (test ROC AUC, Brier, cost...).
    """
    reports_dir = Path(reports_dir)
    groups = (fairness or {}).get("groups") or {}
    fairness_min = next(iter(groups.values())).get("min_group_size") if groups else None
    context = clean(
        {
            "model": dict(model or {}),
            "generated_at": generated_at or now_utc(),
            "intended_use": intended_use,
            "limits": list(limits),
            "training_data": dict(training_data or {}),
            "metrics": dict(metrics or {}),
            "calibration": list(calibration or []),
            "calibration_svg": CALIBRATION_SVG,
            "threshold": threshold,
            "cost_fn": cost_fn,
            "cost_fp": cost_fp,
            "threshold_note": threshold_note,
            "fairness": dict(fairness) if fairness else None,
            "fairness_min": fairness_min,
            "monitoring": dict(monitoring or {}),
        }
    )
    md = render_model_card(context)
    paths = {
        "md": reports_dir / MODEL_CARD_MD,
        "html": reports_dir / MODEL_CARD_HTML,
        "svg": reports_dir / CALIBRATION_SVG,
    }
    if calibration:
        write_text(calibration_svg(calibration), paths["svg"])
    else:
        paths.pop("svg")
    write_text(md, paths["md"])
    body = markdown_to_html(re.sub(r"\A# [^\n]*\n", "", md))  # the page's own <h1> carries the title
    title = md.splitlines()[0].lstrip("# ").strip()
    write_text(page(title, body), paths["html"])
    return paths


# ---- index --------------------------------------------------------------------------------------------------
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
KNOWN_TITLES = {"evidently.html": "Evidently drift report (top features + score)"}
FORMATS = {".html": "HTML", ".md": "Markdown"}


def _report_entry(path: Path, root: Path) -> dict[str, Any]:
    when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(microsecond=0).isoformat()
    title, status = path.stem.replace("_", " "), None
    summary = path.parent / SUMMARY_FILE
    if summary.is_file() and path.name == DRIFT_HTML:
        try:
            doc = json.loads(summary.read_text(encoding="utf-8"))
            when = doc.get("generated_at", when)
            status = doc.get("policy", {}).get("status")
        except (OSError, ValueError):
            pass
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        head = ""
    if path.name in KNOWN_TITLES:
        title = KNOWN_TITLES[path.name]
    elif path.suffix == ".html" and (m := _TITLE.search(head)):
        title = html.unescape(m.group(1)).strip() or title
    elif path.suffix == ".md" and head.startswith("# "):
        title = head.splitlines()[0][2:].strip()
    rel = path.relative_to(root).as_posix()
    return {"date": when, "title": title, "path": rel, "format": FORMATS[path.suffix], "status": status}


def list_reports(reports_dir: Path) -> list[dict[str, Any]]:
    """Every .html and .md report under reports_dir (not the index, not Evidently's JSON), newest first."""
    root = Path(reports_dir)
    found = [
        p for p in root.rglob("*")
        if p.is_file() and p.suffix in (".html", ".md") and p != root / INDEX_HTML and not p.name.startswith(".")
    ]  # fmt: skip
    entries = [_report_entry(p, root) for p in found]
    return sorted(entries, key=lambda e: (e["date"], e["path"]), reverse=True)


def write_index(reports_dir: Path, title: str = "Credit scoring: reports for auditors") -> Path:
    """reports_dir/index.html: every report, newest first, with its date, status (drift reports) and link."""
    root = Path(reports_dir)
    entries = list_reports(root) if root.is_dir() else []
    rows = []
    for e in entries:
        status = e["status"] or ""
        cls = " class='warn'" if status == "action required" else ""
        folder = str(Path(e["path"]).parent)
        rows.append(
            f"<tr><td>{html.escape(_when(e['date']))}</td>"
            f"<td><a href='{html.escape(e['path'])}'>{html.escape(e['title'])}</a></td>"
            f"<td>{e['format']}</td><td>{html.escape('–' if folder == '.' else folder)}</td>"
            f"<td{cls}>{html.escape(status)}</td></tr>"
        )
    body = (
        f"<p class='muted'>{len(entries)} reports, newest first; generated {_when(now_utc())}.</p>"
        "<table><thead><tr><th>date</th><th>report</th><th>format</th><th>folder</th><th>drift verdict</th>"
        f"</tr></thead><tbody>{''.join(rows) or '<tr><td colspan=5>no report yet</td></tr>'}</tbody></table>"
    )
    path = root / INDEX_HTML
    write_text(page(title, body), path)
    return path
