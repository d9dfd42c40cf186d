"""The report shell's stable ids: the same content gives the same bytes (no random element id survives)."""

from __future__ import annotations

import plotly.graph_objects as go

from credit_scoring.reporting.html import figure, stable_ids

A, B = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def test_stable_ids_renames_in_order_of_first_appearance_and_keeps_references() -> None:
    page = (
        f"<div id='{A}'></div><div id='{B}'></div><script>draw('{A}'); var metric_{'ab' * 16} = 1;</script>"
    )
    assert (
        stable_ids(page)
        == "<div id='id1'></div><div id='id2'></div><script>draw('id1'); var metric_id3 = 1;</script>"
    )


def test_two_pages_that_differ_only_by_their_random_ids_become_identical() -> None:
    assert stable_ids(f"<p id='{A}'>x</p>") == stable_ids(f"<p id='{B}'>x</p>")
    assert stable_ids(f"<p id='{A}'>x</p>") != stable_ids(f"<p id='{B}'>y</p>")


def test_a_figure_gives_the_same_fragment_twice_and_another_figure_another_id() -> None:
    def bars(y: list[int]) -> go.Figure:
        return go.Figure(go.Bar(x=["a", "b"], y=y))

    assert figure(bars([1, 2])) == figure(bars([1, 2]))
    assert figure(bars([1, 2])) != figure(bars([2, 1]))
    assert "fig-" in figure(bars([1, 2]))
