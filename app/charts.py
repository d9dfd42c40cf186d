"""Plotly charts of the app: colour-blind-safe (Okabe-Ito), a title on every chart, text beside every colour.

Colours never carry meaning alone: bars and points also differ by pattern or marker shape, legends and
labels say "repaid" / "defaulted", "raises the risk" / "lowers the risk", and the decision is written in
the gauge's title.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from app.locales import number, percent, t
from credit_scoring.serving.explain import Reason
from credit_scoring.serving.results import DEFAULTED, REPAID, ScoreResult

# Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies.
BLUE = "#0072B2"  # granted, repaid, lowers the risk
VERMILLION = "#D55E00"  # refused, defaulted, raises the risk
SKY = "#56B4E9"
ORANGE = "#E69F00"
YELLOW = "#F0E442"  # the client's own point
GREY = "#999999"
BLACK = "#000000"
OUTCOME_STYLE = {
    REPAID: {"color": BLUE, "pattern": "", "symbol": "circle"},
    DEFAULTED: {"color": VERMILLION, "pattern": "/", "symbol": "x"},
}
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 14, "color": "#1a1a1a"}


def _layout(fig: go.Figure, title: str, height: int = 380, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        font=FONT,
        height=height,
        margin={"l": 10, "r": 10, "t": 70, "b": 50},
        paper_bgcolor="white",
        plot_bgcolor="white",
        **extra,
    )
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5", zeroline=False, automargin=True)
    fig.update_yaxes(showgrid=True, gridcolor="#e5e5e5", zeroline=False, automargin=True)
    return fig


def empty(title: str, message: str) -> go.Figure:
    """A titled placeholder with a message (no client yet, no data)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=FONT)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, height=260)


def gauge(result: ScoreResult, lang: str = "en") -> go.Figure:
    """Probability of default on a gauge with the threshold marked; the decision in the title."""
    p, cut = result.probability * 100, result.threshold * 100
    top = float(min(100.0, max(3 * cut, 1.25 * p, 10.0)))
    colour = VERMILLION if result.refused else BLUE
    side = t(lang, "above" if result.distance >= 0 else "below")
    sep = "," if lang == "fr" else "."
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number+delta",
            value=p,
            number={"suffix": " %", "valueformat": ".1f"},
            delta={
                "reference": cut,
                "valueformat": ".1f",
                "suffix": t(lang, "chart_gauge_delta"),
                "increasing": {"color": VERMILLION, "symbol": "▲ "},
                "decreasing": {"color": BLUE, "symbol": "▼ "},
            },
            gauge={
                "axis": {"range": [0, top], "ticksuffix": " %"},
                "bar": {"color": colour, "thickness": 0.35},
                "steps": [
                    {"range": [0, cut], "color": "#d6e9f5"},
                    {"range": [cut, top], "color": "#f6dccb"},
                ],
                "threshold": {"line": {"color": BLACK, "width": 4}, "thickness": 0.9, "value": cut},
            },
            domain={"x": [0, 1], "y": [0, 0.85]},
        )
    )
    fig.add_annotation(
        text=t(lang, "chart_gauge_legend", threshold=percent(result.threshold, lang)),
        showarrow=False,
        x=0.5,
        y=-0.12,
        xref="paper",
        yref="paper",
        font={"size": 12},
    )
    title = (
        t(
            lang,
            "chart_gauge_title",
            p=percent(result.probability, lang),
            decision=t(lang, result.decision).upper(),
        )
        + "<br><sup>"
        + t(
            lang,
            "chart_gauge_sub",
            points=number(abs(result.distance) * 100, lang, 1),
            side=side,
            threshold=percent(result.threshold, lang),
        )
        + "</sup>"
    )
    fig.update_layout(separators=sep + (" " if lang == "fr" else ","))
    return _layout(fig, title, height=340)


def reasons_chart(reasons: Sequence[Reason], lang: str = "en") -> go.Figure:
    """Horizontal bars of the reasons' contributions: right raises the risk, left lowers it."""
    title = t(lang, "chart_reasons")
    if not reasons:
        return empty(title, t(lang, "no_reasons"))
    rows = list(reversed(reasons))  # largest on top
    values = [r.contribution for r in rows]
    raises = [v > 0 for v in values]
    labels = [
        wrap(f"{r.label} = {r.value}") + f"<br><i>{t(lang, 'raises' if up else 'lowers')}</i>"
        for r, up in zip(rows, raises, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker={
                "color": [VERMILLION if up else BLUE for up in raises],
                "pattern": {"shape": ["/" if up else "" for up in raises], "solidity": 0.3},
                "line": {"color": BLACK, "width": 1},
            },
            hovertext=[r.text for r in rows],
            hoverinfo="text",
        )
    )
    fig.add_vline(x=0, line={"color": BLACK, "width": 1})
    _layout(
        fig,
        f"{title}<br><sup>{t(lang, 'chart_reasons_sub')}</sup>",
        height=max(300, 90 + 64 * len(rows)),
        showlegend=False,
    )
    fig.update_xaxes(title_text=t(lang, "chart_reasons_x"))
    fig.update_yaxes(tickfont={"size": 13})
    return fig


def wrap(text: str, width: int = 40) -> str:
    """Text broken into lines of about `width` characters with <br> (plotly does not wrap labels)."""
    return "<br>".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def importance_chart(importance: pd.DataFrame, lang: str = "en") -> go.Figure:
    """Global importance: mean |contribution| of each field over known clients."""
    title = f"{t(lang, 'chart_importance')}<br><sup>{t(lang, 'chart_importance_sub')}</sup>"
    if importance.empty or float(importance["importance"].max()) == 0:
        return empty(title, t(lang, "no_importance"))
    rows = importance.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=rows["importance"],
            y=[wrap(label) for label in rows["label"]],
            orientation="h",
            marker={"color": SKY, "line": {"color": BLACK, "width": 1}},
            text=[number(v, lang, 3) for v in rows["importance"]],
            textposition="auto",
        )
    )
    _layout(fig, title, height=max(320, 90 + 44 * len(rows)), showlegend=False)
    fig.update_xaxes(title_text=t(lang, "chart_importance_x"))
    return fig


def _axis_title(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def distribution_chart(data: dict[str, Any], scope: str, lang: str = "en") -> go.Figure:
    """Histogram of a feature by outcome (share of each outcome group), the client's value marked.

    scope: "all" (known clients drawn for the charts) or "similar" (the client's nearest neighbours).
    """
    frame: pd.DataFrame = data[scope]
    label, unit = data["label"], data["unit"]
    n = number(len(frame), lang)
    who = t(lang, "n_known", n=n) if scope == "all" else t(lang, "n_similar", n=n)
    title = f"{label}<br><sup>{who}, {t(lang, 'by_outcome')}</sup>"
    if frame.empty:
        message = t(lang, "look_up_short") if scope == "similar" else t(lang, "no_values")
        return empty(title, message)
    fig = go.Figure()
    edges = np.histogram_bin_edges(frame["value"].to_numpy(dtype="float64"), bins=30)
    for outcome in (REPAID, DEFAULTED):
        values = frame.loc[frame["outcome"] == outcome, "value"]
        style = OUTCOME_STYLE[outcome]
        fig.add_trace(
            go.Histogram(
                x=values,
                name=f"{t(lang, 'outcome_' + outcome)} ({number(len(values), lang)})",
                histnorm="percent",
                xbins={"start": edges[0], "end": edges[-1], "size": (edges[-1] - edges[0]) / 30 or 1},
                marker={
                    "color": style["color"],
                    "pattern": {"shape": style["pattern"]},
                    "line": {"color": BLACK, "width": 0.5},
                },
                opacity=0.6,
            )
        )
    client = data.get("client_value")
    if client is not None:
        fig.add_vline(x=client, line={"color": BLACK, "width": 3, "dash": "dash"})
        fig.add_annotation(
            x=client,
            y=1.0,
            yref="paper",
            text=f"{t(lang, 'this_client')}: {number(client, lang, 2)}",
            showarrow=False,
            yanchor="bottom",
            bgcolor="white",
            font={"size": 13},
        )
    _layout(
        fig,
        title,
        barmode="overlay",
        legend={"title": {"text": t(lang, "outcome_legend")}, "orientation": "h", "y": -0.25},
    )
    fig.update_xaxes(title_text=_axis_title(label, unit))
    fig.update_yaxes(title_text=t(lang, "share_of_group"))
    return fig


def bivariate_chart(data: dict[str, Any], lang: str = "en") -> go.Figure:
    """Two features of known clients by outcome (shape and colour), the client as a black star."""
    frame: pd.DataFrame = data["frame"]
    against = t(lang, "against", x=data["x_label"], y=data["y_label"])
    title = f"{against}<br><sup>{t(lang, 'known_by_outcome')}</sup>"
    if frame.empty:
        return empty(title, t(lang, "no_pairs"))
    fig = go.Figure()
    for outcome in (REPAID, DEFAULTED):
        part = frame[frame["outcome"] == outcome]
        style = OUTCOME_STYLE[outcome]
        fig.add_trace(
            go.Scattergl(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{t(lang, 'outcome_' + outcome)} ({number(len(part), lang)})",
                marker={"color": style["color"], "symbol": style["symbol"], "size": 6, "opacity": 0.55},
            )
        )
    if data.get("client") is not None:
        cx, cy = data["client"]
        fig.add_trace(
            go.Scatter(
                x=[cx],
                y=[cy],
                mode="markers+text",
                name=t(lang, "this_client"),
                text=[t(lang, "this_client")],
                textposition="top center",
                marker={"color": YELLOW, "symbol": "star", "size": 22, "line": {"color": BLACK, "width": 2}},
            )
        )
    _layout(fig, title, height=460, legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(title_text=data["x_label"])
    fig.update_yaxes(title_text=data["y_label"])
    return fig
