"""A real browser on the running app: sign in, look a client up, save a screenshot (Playwright + chromium).

Playwright's own browser download is not used: Debian's chromium (``apt-get install chromium``) is launched
through ``executable_path``. Used by the browser test and to refresh the README's docs/app.png:

    CREDIT_APP_USER=... CREDIT_APP_PASSWORD=... python app/screenshot.py --url http://127.0.0.1:7860 \
        --client-id 100002 --out docs/app.png [--locale fr-FR] [--letter docs/letter.png]

(`--letter`: also download the client's decision letter from the page and save its HTML page as a PNG.)
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class PageCheck:
    """What the page showed for the client, and whether it fits the window at 200 % zoom."""

    decision: str
    reasons: str
    screenshot: Path
    fits_at_200_percent: bool
    chart_titles: list[str]


def _sign_in(page, auth: tuple[str, str] | None) -> None:
    if auth is None:
        return
    password = page.locator("input[type=password]")
    try:
        password.wait_for(timeout=10_000)
    except Exception:  # no login form: already signed in or no auth
        return
    page.locator("input[type=text], input:not([type])").first.fill(auth[0])
    password.fill(auth[1])
    password.press("Enter")  # the login button's text follows the browser's language


def capture(
    url: str,
    client_id: int | str,
    out: Path,
    auth: tuple[str, str] | None = None,
    executable: str | None = None,
    width: int = 1400,
    locale: str = "en-GB",
    letter: Path | None = None,
) -> PageCheck:
    """Open the app, sign in, look `client_id` up, screenshot the client view to `out`; then check the same
    page at 200 % zoom (half the CSS width, twice the pixel density) has no horizontal scrolling.
    `letter`: also download the decision letter (its HTML) and screenshot it there."""
    from playwright.sync_api import sync_playwright

    executable = executable or chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium not found (apt-get install -y chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000}, locale=locale)
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            _sign_in(page, auth)
            box = page.locator("#client-id textarea, #client-id input").first
            box.wait_for()
            box.fill(str(client_id))
            page.locator("#lookup").click()
            decision = page.locator("#decision")
            marks = [decision.get_by_text(m) for m in ("GRANTED", "REFUSED", "ACCORDÉ", "REFUSÉ")]
            marks[0].or_(marks[1]).or_(marks[2]).or_(marks[3]).first.wait_for()
            page.locator("#reasons li").first.wait_for()
            page.locator("#gauge .js-plotly-plot").first.wait_for()
            page.locator("#reasons-chart .js-plotly-plot").first.wait_for()
            page.wait_for_timeout(1000)  # plotly's transitions
            titles = [t or "" for t in page.locator(".js-plotly-plot .gtitle").all_text_contents()]
            page.screenshot(path=str(out), full_page=True)
            decision_text, reasons_text = decision.inner_text(), page.locator("#reasons").inner_text()
            page.set_viewport_size({"width": width // 2, "height": 1000})  # 200 % zoom: half the CSS pixels
            page.wait_for_timeout(1000)
            fits = bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))
            if letter is not None:
                _letter_shot(page, letter)
        finally:
            browser.close()
    return PageCheck(decision_text, reasons_text, out, fits, titles)


def _letter_shot(page, out: Path) -> None:
    """Download the letter of the client looked up (Download the decision) and screenshot its HTML page
    (in the same page: the app's last use here)."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("#download").click()
    link = page.locator("#letter a[href*='.html']").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    page.set_viewport_size({"width": 800, "height": 1000})  # the letter replaces the app in this page
    page.set_content(html)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)


cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command(help="Sign in to the running app, look a client up and save a screenshot.")
def command(
    client_id: Annotated[
        str, typer.Option("--client-id", help="the client looked up (its id, e.g. SK_ID_CURR)")
    ],
    url: Annotated[str, typer.Option(help="the running app")] = "http://127.0.0.1:7860",
    out: Annotated[Path, typer.Option(help="the screenshot (PNG)")] = Path("docs/app.png"),
    locale: Annotated[str, typer.Option(help="the browser's language, e.g. fr-FR")] = "en-GB",
    user_env: Annotated[str, typer.Option(help="environment variable of the user")] = "CREDIT_APP_USER",
    password_env: Annotated[
        str, typer.Option(help="environment variable of the password")
    ] = "CREDIT_APP_PASSWORD",
    letter: Annotated[
        Path | None, typer.Option(help="also save the client's decision letter as a PNG here")
    ] = None,
) -> None:
    user, password = os.environ.get(user_env), os.environ.get(password_env)
    auth = (user, password) if user and password else None
    check = capture(url, client_id, out, auth, locale=locale, letter=letter)
    print(
        f"{check.screenshot}: {check.decision.splitlines()[0]}; fits at 200 % zoom: {check.fits_at_200_percent}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command on `argv` (default: the command line); the exit code (2: bad argument)."""
    try:
        cli(argv, prog_name="app/screenshot.py")
    except SystemExit as done:  # typer's own: 2 for a bad argument, 0 for --help
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
