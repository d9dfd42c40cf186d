"""The points breakdown of a score when the champion is a scorecard: one table (variable, the client's bin,
its points, the best bin's points, the points lost), hidden for the other model kinds."""

from __future__ import annotations

from typing import Any

import gradio as gr

from credit_scoring.serving.results import ScoreResult

HEADERS = {
    "label": "Variable",
    "bin": "Client's bin",
    "points": "Points",
    "best_points": "Best bin's points",
    "points_lost": "Points lost",
}
DECIMALS = 1


def points_view() -> gr.Dataframe:
    """The (hidden until a scorecard scores) points table."""
    return gr.Dataframe(
        label="Points breakdown (scorecard): most points lost first",
        headers=list(HEADERS.values()),
        visible=False,
        interactive=False,
        wrap=True,
    )


def points_update(result: ScoreResult | None) -> Any:
    """The table of a score's points, or hidden when the champion has no points (or nothing is scored)."""
    if result is None or result.points is None:
        return gr.update(value=None, visible=False)
    shown = result.points[list(HEADERS)].round(DECIMALS).rename(columns=HEADERS)
    return gr.update(value=shown, visible=True)
