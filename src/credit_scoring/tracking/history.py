"""The history of alias moves, kept in the registry itself: one registered-model tag per move.

MLflow keeps only the current holder of an alias. Every move (`register` with `registry.auto_promote`, a
gate-passing version taking `@challenger`, `credit-scoring promote`, a rollback) is appended here as one tag
`history.<ms since the epoch>.<random>` of the registered model whose value is a JSON line: when, which
alias, from which version to which, who, why, and the gate's figures. One tag per move with a unique key
means two concurrent movers never overwrite each other's line; `move_alias` re-reads the alias after its
line is written and, when another mover set it in between, files its own line just before that mover's, so
the last line always names the version that holds the alias. `export_history` writes the lines to
reports/champion_history.jsonl and .html.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
import json
import time
import uuid
from pathlib import Path
from typing import Any

from credit_scoring.io.atomic import write_text
from credit_scoring.reporting.html import page

PREFIX = "history."
HISTORY_JSONL, HISTORY_HTML = "champion_history.jsonl", "champion_history.html"
COLUMNS = ("at", "alias", "from_version", "to_version", "who", "why")


def system_user() -> str:
    """Who a move made by the pipeline itself is attributed to."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        return "unknown"


def alias_holder(client: Any, name: str, alias: str) -> str | None:
    """The version holding `alias` of `name`, None when none does."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def _key(ms: int) -> str:
    return f"{PREFIX}{ms:013d}.{uuid.uuid4().hex[:8]}"


def read_history(client: Any, name: str) -> list[dict[str, Any]]:
    """Every recorded move of `name`, oldest first ([] when the model is not registered)."""
    from mlflow.exceptions import MlflowException

    try:
        tags = client.get_registered_model(name).tags or {}
    except MlflowException:
        return []
    lines = []
    for key in sorted(k for k in tags if k.startswith(PREFIX)):
        try:
            lines.append({**json.loads(tags[key]), "key": key})
        except json.JSONDecodeError:
            lines.append({"key": key, "why": f"unreadable history line: {tags[key][:80]!r}"})
    return lines


def move_alias(
    client: Any,
    name: str,
    alias: str,
    version: str,
    *,
    who: str,
    why: str,
    gate: dict[str, Any] | None,
    migration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Set `alias` of `name` to `version` and append the move to the history; the line written (with the
    `migration` matrix of the test split when given: `tracking.migration`)."""
    before = alias_holder(client, name, alias)
    client.set_registered_model_alias(name, alias, str(version))
    previous = read_history(client, name)
    last = int(previous[-1]["key"].split(".")[1]) if previous else 0
    ms = max(time.time_ns() // 1_000_000, last + 1)  # strictly after the last line (two moves in one ms)
    line = {
        "at": dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds"),
        "alias": alias,
        "from_version": before,
        "to_version": str(version),
        "who": who,
        "why": why,
        "gate": gate or {},
    }
    if migration is not None:
        line["migration"] = migration
    key = _key(ms)
    client.set_registered_model_tag(name, key, json.dumps(line, sort_keys=True))
    holder = alias_holder(client, name, alias)
    if holder != str(version):  # another mover set the alias after us: our line goes just before theirs
        later = [h for h in read_history(client, name) if h.get("alias") == alias and h["key"] > key]
        if not later:
            theirs = [h for h in read_history(client, name) if h.get("to_version") == holder]
            if theirs and theirs[-1]["key"] < key:
                earlier = int(theirs[-1]["key"].split(".")[1]) - 1
                client.delete_registered_model_tag(name, key)
                key = _key(earlier)
                client.set_registered_model_tag(name, key, json.dumps(line, sort_keys=True))
    return {**line, "key": key}


def _cell(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def migration_html(record: dict[str, Any] | None) -> str:
    """A history line's migration matrix (test split, champion grade x promoted grade) as a folded table."""
    if not record:
        return ""
    if "error" in record:
        return f"none: {_cell(record['error'])}"
    s, matrix = record["summary"], record["matrix"]
    head = "".join(f"<th>{g}</th>" for g in range(1, len(matrix) + 1))
    body = "".join(
        f"<tr><th>{g}</th>" + "".join(f"<td>{n}</td>" for n in row) + "</tr>"
        for g, row in enumerate(matrix, start=1)
    )
    return (
        f"<details><summary>{record['rows']:,} rows, same grade {s['same']:.1%}, within one "
        f"{s['within_one']:.1%}</summary><table><thead><tr><th>v{_cell(record['from_version'])} &rarr; "
        f"v{_cell(record['to_version'])}</th>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )


def history_html(lines: list[dict[str, Any]], name: str) -> str:
    """The history as one HTML page (newest first) in the reports' shell."""
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in (*COLUMNS, "gate", "migration (test split)"))
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_cell(line.get(c))}</td>" for c in COLUMNS)
        + f"<td>{_cell((line.get('gate') or {}).get('reason', ''))}</td>"
        + f"<td>{migration_html(line.get('migration'))}</td></tr>"
        for line in reversed(lines)
    )
    body = (
        f"<p>Every move of an alias of <code>{_cell(name)}</code>, newest first (kept in the registry as "
        "tags <code>history.*</code> of the registered model).</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if lines
        else "<p>No alias has moved yet.</p>"
    )
    return page(f"Champion history: {name}", body)


def export_history(client: Any, name: str, reports_dir: Path | str) -> list[dict[str, Any]]:
    """Write reports_dir/champion_history.jsonl and .html from the registry's history; the lines."""
    lines = read_history(client, name)
    folder = Path(reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    jsonl = "".join(
        json.dumps({k: v for k, v in x.items() if k != "key"}, sort_keys=True) + "\n" for x in lines
    )
    write_text(jsonl, folder / HISTORY_JSONL)
    write_text(history_html(lines, name), folder / HISTORY_HTML)
    return lines


def history_rows(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history as flat rows for a table (newest first): when, alias, from, to, who, why."""
    return [{c: line.get(c) for c in COLUMNS} for line in reversed(lines)]


def export_for_card(reg: Any, reports_dir: Path | str) -> list[dict[str, Any]]:
    """Export the history of `reg.model_name` (the configured store) and return its rows, newest first."""
    from mlflow.tracking import MlflowClient

    from credit_scoring.tracking.store import tracking_uri

    uri = tracking_uri(reg)
    return history_rows(export_history(MlflowClient(uri, uri), reg.model_name, reports_dir))
