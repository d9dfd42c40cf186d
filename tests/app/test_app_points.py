"""The app's points breakdown (app/points.py): shown for a scorecard's score, hidden for the other kinds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from app.points import HEADERS, points_update

from credit_scoring.serving.results import POINTS_SHOWN, ScoreResult


def _result(points: pd.DataFrame | None) -> ScoreResult:
    return ScoreResult(7, "known", 0.2, 0.1, True, [], "3", None, np.zeros(2), points=points)


def test_points_breakdown_shown_for_a_scorecard_only() -> None:
    points = pd.DataFrame(
        [["External score 3", "EXT_SOURCE_3", "(-inf, 0.21)", 40.04, 95.0, 54.96]], columns=POINTS_SHOWN
    )
    shown = points_update(_result(points))
    assert shown["visible"] is True
    table = shown["value"]
    assert list(table.columns) == list(HEADERS.values()) and "variable" not in table.columns
    assert table.iloc[0]["Points lost"] == 55.0 and table.iloc[0]["Client's bin"] == "(-inf, 0.21)"
    assert _result(points).to_dict()["points"][0]["points_lost"] == 54.96
    hidden = points_update(_result(None))
    assert hidden["visible"] is False and _result(None).to_dict()["points"] is None
    assert points_update(None)["visible"] is False  # nothing looked up yet (the language switch)
