"""The auditors' entry page: reports_dir/index.html lists every report under the reports folder (drift
reports, drift over time, model card, Evidently, EDA), newest first, with its date, folder and, for a drift
report, the verdict of its summary.json.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.drift_report import DRIFT_HTML
from credit_scoring.monitoring.evidently_report import HTML_FILE as EVIDENTLY_HTML
from credit_scoring.monitoring.summary import SUMMARY_FILE
from credit_scoring.reporting.html import now_utc, page, when

INDEX_HTML = "index.html"
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
KNOWN_TITLES = {EVIDENTLY_HTML: "Evidently drift report (top features + score)"}
FORMATS = {".html": "HTML", ".md": "Markdown"}


def slug(text: str) -> str:
    """A name safe in a folder name (a batch's file or folder name)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "batch"


def run_folder_name(name: str, kind: str = "") -> str:
    """The folder of an ad-hoc monitoring run: `<UTC time to the microsecond>-[<kind>-]<name>`, so runs list
    by date and two runs of the same batch in one second never share (and overwrite) a folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
    return "-".join(part for part in (stamp, kind, slug(name)) if part)


def _report_entry(path: Path, root: Path) -> dict[str, Any]:
    when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(microsecond=0).isoformat()
    title, status = path.stem.replace("_", " "), None
    summary = path.parent / SUMMARY_FILE
    if summary.is_file() and path.name == DRIFT_HTML:
        try:
            doc = json.loads(summary.read_text(encoding="utf-8"))
            when = doc.get("generated_at") or when  # the pipeline's report states no time: its file's
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
            f"<tr><td>{html.escape(when(e['date']))}</td>"
            f"<td><a href='{html.escape(e['path'])}'>{html.escape(e['title'])}</a></td>"
            f"<td>{e['format']}</td><td>{html.escape('–' if folder == '.' else folder)}</td>"
            f"<td{cls}>{html.escape(status)}</td></tr>"
        )
    body = (
        f"<p class='muted'>{len(entries)} reports, newest first; generated {when(now_utc())}.</p>"
        "<table><thead><tr><th>date</th><th>report</th><th>format</th><th>folder</th><th>drift verdict</th>"
        f"</tr></thead><tbody>{''.join(rows) or '<tr><td colspan=5>no report yet</td></tr>'}</tbody></table>"
    )
    path = root / INDEX_HTML
    write_text(page(title, body), path)
    return path
