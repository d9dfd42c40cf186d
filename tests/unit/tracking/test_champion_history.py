"""The alias history in the registry: one tag per move, ordered, robust to a concurrent mover, exported to
JSONL and HTML, and shown in the model card."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from mlflow.exceptions import MlflowException

from credit_scoring.config.modelling import CostConfig
from credit_scoring.monitoring.model_card import write_model_card
from credit_scoring.tracking.history import (
    HISTORY_HTML,
    HISTORY_JSONL,
    export_history,
    history_rows,
    move_alias,
    read_history,
)
from credit_scoring.tracking.migration import migration_record


class FakeRegistry:
    """The few MlflowClient calls the history uses, in memory; `interloper` moves the alias right after
    the next set (a concurrent register)."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.interloper: tuple[str, str] | None = None

    def get_model_version_by_alias(self, name: str, alias: str) -> SimpleNamespace:
        if alias not in self.aliases:
            raise MlflowException(f"no alias {alias}")
        return SimpleNamespace(version=self.aliases[alias])

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        self.aliases[alias] = version
        if self.interloper is not None:
            other, self.interloper = self.interloper, None
            move_alias(self, name, alias, other[0], who=other[1], why="concurrent", gate=None)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self.tags[key] = value

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        del self.tags[key]

    def get_registered_model(self, name: str) -> SimpleNamespace:
        return SimpleNamespace(tags=dict(self.tags))


def test_moves_are_appended_in_order_with_from_and_to() -> None:
    reg = FakeRegistry()
    move_alias(reg, "m", "champion", "1", who="ann", why="first", gate={"reason": "floor"})
    move_alias(reg, "m", "champion", "2", who="bob", why="better", gate=None)
    lines = read_history(reg, "m")
    assert [(x["from_version"], x["to_version"], x["who"]) for x in lines] == [
        (None, "1", "ann"),
        ("1", "2", "bob"),
    ]
    assert history_rows(lines)[0]["why"] == "better"  # newest first


def test_a_concurrent_mover_keeps_the_last_line_equal_to_the_alias() -> None:
    reg = FakeRegistry()
    reg.interloper = ("7", "other register")  # sets the alias after ours, writes its line before ours
    move_alias(reg, "m", "champion", "6", who="me", why="mine", gate=None)
    lines = read_history(reg, "m")
    assert len(lines) == 2 and reg.aliases["champion"] == "7"
    assert lines[-1]["to_version"] == "7" and lines[0]["to_version"] == "6"


def test_export_writes_jsonl_and_html(tmp_path: Path) -> None:
    reg = FakeRegistry()
    move_alias(reg, "m", "champion", "1", who="ann", why="<b>first</b>", gate={"reason": "floor"})
    export_history(reg, "m", tmp_path)
    rows = [json.loads(x) for x in (tmp_path / HISTORY_JSONL).read_text().splitlines()]
    assert rows[0]["to_version"] == "1" and rows[0]["gate"] == {"reason": "floor"}
    page = (tmp_path / HISTORY_HTML).read_text()
    assert "&lt;b&gt;first&lt;/b&gt;" in page and "<b>first</b>" not in page


def test_model_card_shows_the_history(tmp_path: Path) -> None:
    rows = [{"at": "2026-01-02T03:04:05.000+00:00", "alias": "champion", "from_version": "1", "to_version": "2",
             "who": "bob", "why": "better | ticket 7"}]  # fmt: skip
    md = write_model_card(tmp_path, threshold=0.5, cost=CostConfig(10.0, 1.0), history=rows)["md"].read_text()
    assert "## Champion history" in md and "| champion | 1 | 2 | bob | better \\| ticket 7 |" in md
    empty = write_model_card(tmp_path, threshold=0.5, cost=CostConfig(10.0, 1.0))["md"].read_text()
    assert "No alias move recorded." in empty


@pytest.mark.parametrize("bad", ["not json"])
def test_an_unreadable_line_is_shown_not_fatal(bad: str) -> None:
    reg = FakeRegistry()
    reg.tags["history.0000000000001.abcd1234"] = bad
    assert "unreadable" in read_history(reg, "m")[0]["why"]


def test_the_history_line_keeps_the_matrix_and_the_html_shows_it(tmp_path: Path) -> None:
    reg = FakeRegistry()
    record = migration_record(np.array([0.01, 0.3]), np.array([0.07, 0.3]), [0.05, 0.1, 0.2], "1", "2")
    move_alias(reg, "m", "champion", "1", who="ann", why="first", gate=None)
    move_alias(reg, "m", "champion", "2", who="bob", why="better", gate=None, migration=record)
    lines = read_history(reg, "m")
    assert "migration" not in lines[0] and lines[1]["migration"]["matrix"] == record["matrix"]
    export_history(reg, "m", tmp_path)
    page = (tmp_path / HISTORY_HTML).read_text()
    assert "2 rows, same grade 50.0%" in page and "migration (test split)" in page
