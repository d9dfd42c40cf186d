"""A real browser (Debian's chromium through Playwright) on the running app: sign in, look a client up,
read the decision and the reasons, save a screenshot, and check the page still fits at 200 % zoom."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_look_a_client_up_in_a_browser(app_server, tmp_path: Path) -> None:
    pytest.importorskip("playwright", reason="the playwright package is not installed (uv sync)")
    from app.screenshot import capture, chromium_path

    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): no browser to drive")
    import pandas as pd

    client_id = int(
        pd.read_parquet(app_server.champion.ingest / "application_test.parquet")["SK_ID_CURR"].iloc[0]
    )
    check = capture(app_server.url, client_id, tmp_path / "app.png", auth=app_server.auth)
    assert "GRANTED" in check.decision or "REFUSED" in check.decision
    assert f"Client {client_id}" in check.decision and "probability of default" in check.decision
    assert "the risk" in check.reasons
    assert check.screenshot.stat().st_size > 20_000
    assert any("Probability of default" in t for t in check.chart_titles)
    assert any("Main reasons" in t for t in check.chart_titles)
    assert check.fits_at_200_percent, "the page scrolls sideways at 200 % zoom"
