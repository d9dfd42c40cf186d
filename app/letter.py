"""The decision letter handed to the client: one page of HTML (client id, date, decision, probability against
the threshold, the main reasons in plain words, what would change the decision, the model version, the right
to a human review) and its PDF, printed by Debian's chromium (``--print-to-pdf``), in the page's language."""

from __future__ import annotations

import html
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from app.locales import date_text, number, percent, t
from app.screenshot import CHROMIUM_ARGS, chromium_path
from credit_scoring.serving.results import ScoreResult

PDF_TIMEOUT = 120  # s: chromium's start and print on a busy machine
CSS = """
@page { size: A4; margin: 18mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 17pt; margin: 0 0 4mm; }
.decision { font-size: 15pt; font-weight: bold; border: 2px solid #1a1a1a; padding: 3mm 4mm; margin: 4mm 0; }
.meta td { padding: 0 6mm 1mm 0; }
.rights { border-top: 1px solid #999; margin-top: 6mm; padding-top: 3mm; font-size: 10pt; }
"""


def letter_html(result: ScoreResult, change: str, lang: str, when: datetime | None = None) -> str:
    """The letter of one score as a self-contained HTML page; `change`: what would change the decision
    (a sentence, "" when granted)."""
    when = when or datetime.now(tz=UTC)
    e = html.escape
    decision = t(lang, "refused_mark") if result.refused else t(lang, "granted_mark")
    who = str(result.client_id) if result.client_id is not None else t(lang, "new_client")
    reasons = (
        "".join(f"<li>{e(r.text)}</li>" for r in result.reasons) or f"<li>{e(t(lang, 'no_reasons'))}</li>"
    )
    change_block = f"<h2>{e(t(lang, 'change_title'))}</h2><p>{e(change)}</p>" if change else ""
    side = t(lang, "above") if result.distance >= 0 else t(lang, "below")
    probability = t(
        lang,
        "letter_probability",
        p=percent(result.probability, lang),
        threshold=percent(result.threshold, lang),
        points=number(abs(result.distance) * 100, lang, 1),
        side=side,
    )
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(t(lang, "letter_title"))} {e(who)}</title>
<style>{CSS}</style></head><body>
<h1>{e(t(lang, "letter_title"))}</h1>
<table class="meta">
<tr><td>{e(t(lang, "letter_client"))}</td><td><strong>{e(who)}</strong></td></tr>
<tr><td>{e(t(lang, "letter_date"))}</td><td>{e(date_text(when, lang))}</td></tr>
<tr><td>{e(t(lang, "letter_model"))}</td><td>{e(str(result.model_version))}</td></tr>
</table>
<p class="decision">{e(decision)}</p>
<p>{e(probability)}</p>
<h2>{e(t(lang, "reasons_title"))}</h2>
<ol>{reasons}</ol>
{change_block}
<p class="rights">{e(t(lang, "letter_rights"))}</p>
</body></html>
"""


def print_pdf(page: Path, pdf: Path, executable: str | None = None) -> bool:
    """Print an HTML file to PDF with chromium; False when chromium is not installed or fails."""
    executable = executable or chromium_path()
    if executable is None:
        return False
    args = [executable, *CHROMIUM_ARGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
    try:
        subprocess.run(args, capture_output=True, timeout=PDF_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return pdf.is_file() and pdf.stat().st_size > 0


def write_letter(result: ScoreResult, change: str, lang: str, folder: Path | None = None) -> list[str]:
    """The letter's files: [PDF, HTML] (only the HTML when no PDF could be printed), in a new folder."""
    folder = folder or Path(tempfile.mkdtemp(prefix="letter-"))
    stem = f"decision_{result.client_id if result.client_id is not None else 'new'}_{lang}"
    page, pdf = folder / f"{stem}.html", folder / f"{stem}.pdf"
    page.write_text(letter_html(result, change, lang), encoding="utf-8")
    return [str(pdf), str(page)] if print_pdf(page, pdf) else [str(page)]
