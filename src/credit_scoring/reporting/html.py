"""The one HTML shell of every report (EDA, drift, drift over time, model card, index): a self-contained page
with the shared style, plotly figures as page fragments, tables of values and the way a value is shown."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import math
import re
from typing import Any

import numpy as np
import pandas as pd

STYLE = (
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.5}h1{border-bottom:2px solid #ddd}h2{margin-top:2em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}"
    "th{background:#f4f4f4}.verdict{padding:1em;border-radius:6px;font-size:1.2em;margin:1em 0}"
    ".action{background:#ffebee;border:2px solid #e53935}.ok{background:#e8f5e9;border:2px solid #4caf50}"
    ".warn{color:#b71c1c}.muted{color:#777}td.num{text-align:right;font-variant-numeric:tabular-nums}"
)
MISSING_VALUE = "–"  # how a missing or non-finite value is shown
FIGURE_ID_CHARS = 12
RANDOM_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=metric_)[0-9a-f]{32}"
)


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


def figure(fig: Any) -> str:
    """A plotly figure as a page fragment (the page inlines plotly.js once: `page(..., plotly=True)`); its
    element id is a digest of the figure, not plotly's random one, so the same figure gives the same bytes."""
    fig.update_layout(template="plotly_white", margin={"l": 60, "r": 20, "t": 50, "b": 50})
    div_id = "fig-" + hashlib.sha1(fig.to_json().encode()).hexdigest()[:FIGURE_ID_CHARS]
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False}, div_id=div_id)


def stable_ids(text: str) -> str:
    """A generated page with its random element ids (UUIDs, Evidently's `metric_<hex>`) renamed id1, id2, ...
    in order of first appearance: the references between them hold, and the same content gives the same
    bytes on every run."""
    seen: dict[str, str] = {}
    return RANDOM_ID.sub(lambda m: seen.setdefault(m.group(0), f"id{len(seen) + 1}"), text)


def cell(v: Any, digits: int = 4) -> str:
    """A value as shown in a table cell (escaped): numbers to `digits` decimals (tiny ones in significant
    digits), integers with thousands separators, booleans as yes / no, missing values as a dash."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return MISSING_VALUE
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        return f"{float(v):.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{float(v):.{digits}f}"
    return html.escape(str(v))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)


def table(frame: pd.DataFrame, digits: int = 4) -> str:
    """An HTML table of a frame's columns (index left out), numbers right-aligned (see `cell`). A row is
    read as pandas' row Series: in an all-numeric frame, integers show as floats."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = [
            f"<td class='num'>{cell(v, digits)}</td>" if _is_number(v) else f"<td>{cell(v, digits)}</td>"
            for v in r
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def now_utc() -> str:
    """Now, ISO 8601 UTC to the second (the `generated_at` of every report)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def when(iso: str) -> str:
    """An ISO UTC timestamp as people read it: 2025-01-31 12:00:00 UTC."""
    return iso.replace("T", " ").replace("+00:00", " UTC")
