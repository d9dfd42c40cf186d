"""The relationship manager's day in a real browser (Debian's chromium through Playwright), one server for
the module: the page in French and in English, the decision letter as a PDF holding the decision and the
reasons, a what-if form with no 0 the user did not type, keyboard-only look-up, and axe-core on every tab
(no serious or critical WCAG 2.1 AA violation)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
TABS = ("Client", "Context", "What-if / new client", "Batch scoring", "Model")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    pytest.importorskip("playwright", reason="the playwright package is not installed (uv sync)")
    from app.screenshot import CHROMIUM_ARGS, chromium_path
    from playwright.sync_api import sync_playwright

    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): no browser to drive")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def client_ids(app_server) -> dict[str, int]:
    """A refused and a granted production client of the tiny champion (scored through the API)."""
    import pandas as pd
    from gradio_client import Client

    ids = pd.read_parquet(app_server.champion.ingest / "application_test.parquet")["SK_ID_CURR"].tolist()
    api = Client(app_server.url, auth=app_server.auth, verbose=False)
    out: dict[str, int] = {}
    for cid in ids[:80]:
        decision = api.predict(str(cid), api_name="/score")["decision"]
        out.setdefault(decision, int(cid))
        if len(out) == 2:
            break
    return out


def open_page(browser, app_server, locale: str):
    from app.screenshot import TIMEOUT_MS, _sign_in

    context = browser.new_context(
        locale=locale, viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_server.url)
    _sign_in(page, app_server.auth)
    page.locator("#client-id textarea, #client-id input").first.wait_for()
    page.wait_for_timeout(1500)  # the load events (browser language, charts)
    return context, page


def look_up(page, client_id: int, marks: tuple[str, str]) -> None:
    page.locator("#client-id textarea, #client-id input").first.fill(str(client_id))
    page.locator("#lookup").click()
    decision = page.locator("#decision")
    decision.get_by_text(marks[0]).or_(decision.get_by_text(marks[1])).first.wait_for()
    page.locator("#reasons li").first.wait_for()


def test_the_page_in_french_then_english(browser, app_server, client_ids) -> None:
    context, page = open_page(browser, app_server, "fr-FR")
    try:
        assert page.get_by_role("tab", name="Contexte").count() == 1  # the browser's language
        look_up(page, client_ids.get("refused") or client_ids["granted"], ("ACCORDÉ", "REFUSÉ"))
        text = page.locator("#decision").inner_text()
        assert "probabilité de défaut" in text and "%" in text
        reasons = page.locator("#reasons").inner_text()
        assert "Principales raisons" in reasons and "le risque" in reasons
        page.get_by_role("tab", name="Contexte").click()  # the context dropdowns: labels and choices
        feature = page.get_by_label("Variable à comparer")
        feature.wait_for()
        page.get_by_label("Axe horizontal").wait_for()
        feature_fr = feature.input_value()
        page.get_by_role("tab", name="Simulation / nouveau client").click()  # the what-if fields
        form = page.locator("#what-if-form")
        form.get_by_text("Revenu annuel").wait_for()
        assert form.get_by_text("Possède une voiture").count() == 1 and form.get_by_text("oui").count() >= 1
        assert form.get_by_text("Annual income").count() == 0
        page.get_by_role("tab", name="Modèle").click()  # the model card and its history
        page.get_by_role("heading", name="Modèle champion").wait_for()
        assert page.get_by_role("cell", name="Seuil de décision").count() == 1
        assert page.get_by_text("Historique du champion").count() >= 1
        page.get_by_role("tab", name="Client", exact=True).click()
        page.locator("#language").get_by_text("English").click()  # the visible switch
        page.locator("#decision").get_by_text("GRANTED").or_(
            page.locator("#decision").get_by_text("REFUSED")
        ).first.wait_for()
        page.get_by_role("tab", name="Context").wait_for()
        assert "the risk" in page.locator("#reasons").inner_text()
        page.get_by_role("tab", name="Context").click()
        page.get_by_label("Feature to compare").wait_for()
        assert page.get_by_label("Feature to compare").input_value() not in ("", feature_fr)
        page.get_by_role("tab", name="Model").click()
        page.get_by_role("heading", name="Champion model").wait_for()
    finally:
        context.close()


def test_the_letter_downloads_as_a_pdf_with_the_decision_and_reasons(
    browser, app_server, client_ids, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    cid = client_ids.get("refused") or client_ids["granted"]
    context, page = open_page(browser, app_server, "en-GB")
    try:
        look_up(page, cid, ("GRANTED", "REFUSED"))
        first_reason = page.locator("#reasons li").first.inner_text().strip()
        page.locator("#download").click()
        link = page.locator("#letter a[href*='.pdf']").first
        link.wait_for()
        with page.expect_download() as info:
            link.click()
        pdf = tmp_path / "letter.pdf"
        info.value.save_as(pdf)
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
        words = " ".join(text.split())
        assert str(cid) in words and ("GRANTED" in words or "REFUSED" in words)
        assert " ".join(first_reason.split())[:20] in words
        assert "article 22" in words and len(PdfReader(pdf).pages) == 1
        if "REFUSED" in words:
            assert "What would change the decision" in words
    finally:
        context.close()


def test_a_new_clients_form_holds_no_zero_it_was_not_given(browser, app_server) -> None:
    context, page = open_page(browser, app_server, "en-GB")
    try:
        page.get_by_role("tab", name="What-if / new client").click()
        boxes = page.locator("#what-if-form input[type=text], #what-if-form textarea")
        boxes.first.wait_for()
        typical = [b.input_value() for b in boxes.all()]
        assert typical and all(v != "" for v in typical[:3])  # a typical client: the medians
        assert not [v for v in typical if re.fullmatch(r"[-+]?0+([.,]0*)?", v.strip())]  # no 0 not typed
        page.locator("#blank").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#what-if-form textarea, #what-if-form input[type=text]')]"
            ".every(e => e.value === '')"
        )
        page.locator("#typical").click()  # back to the typical client: again no 0
        page.wait_for_function(
            "() => [...document.querySelectorAll('#what-if-form textarea, #what-if-form input[type=text]')]"
            ".some(e => e.value !== '')"
        )
        again = [b.input_value() for b in boxes.all()]
        assert again == typical
        page.locator("#blank").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#what-if-form textarea, #what-if-form input[type=text]')]"
            ".every(e => e.value === '')"
        )
        assert all(b.input_value() == "" for b in boxes.all())
    finally:
        context.close()


def test_keyboard_only_look_up(browser, app_server, client_ids) -> None:
    context, page = open_page(browser, app_server, "en-GB")
    try:
        focused = False
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("() => !!document.activeElement.closest('#client-id')"):
                focused = True
                break
        assert focused, "the client id box cannot be reached with the keyboard"
        page.keyboard.type(str(client_ids.get("granted") or client_ids["refused"]))
        page.keyboard.press("Enter")
        page.locator("#reasons li").first.wait_for()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => !!document.activeElement.closest('#lookup')"):
                break
        else:
            pytest.fail("the look-up button cannot be reached with the keyboard")
    finally:
        context.close()


def test_no_serious_accessibility_violation_on_any_tab(browser, app_server, client_ids) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context, page = open_page(browser, app_server, "en-GB")
    found: dict[str, list[str]] = {}
    try:
        look_up(page, client_ids.get("refused") or client_ids["granted"], ("GRANTED", "REFUSED"))
        for tab in TABS:
            page.get_by_role("tab", name=tab, exact=True).click()
            page.wait_for_timeout(800)
            violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
            bad = [
                f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[tab] = bad
    finally:
        context.close()
    assert not found, f"serious or critical WCAG 2.1 AA violations: {found}"
