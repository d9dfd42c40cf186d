"""The migration matrix at promotion: its record (rows = champion grade, columns = promoted grade), kept in
the history line (tests/unit/tracking/test_champion_history.py) and printed by `credit-scoring promote`; a matrix that cannot
be computed is recorded with its reason and does not block the promotion."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

from credit_scoring.cli.promote import migration_heading, migration_table
from credit_scoring.tracking.migration import as_frame, migration_record
from credit_scoring.tracking.promotion import migration_or_reason

EDGES = [0.05, 0.1, 0.2]  # 4 grades


def test_record_counts_each_row_once_from_champion_grade_to_promoted_grade() -> None:
    champion = np.array([0.01, 0.01, 0.07, 0.15, 0.5, 0.5])  # grades 1 1 2 3 4 4
    promoted = np.array([0.01, 0.07, 0.07, 0.5, 0.15, 0.01])  # grades 1 2 2 4 3 1
    record = migration_record(champion, promoted, EDGES, "3", "4")
    m = np.array(record["matrix"])
    assert m.shape == (4, 4) and m.sum() == record["rows"] == 6
    assert m[0, 0] == 1 and m[0, 1] == 1 and m[1, 1] == 1 and m[2, 3] == 1 and m[3, 2] == 1 and m[3, 0] == 1
    assert record["summary"]["same"] == pytest.approx(2 / 6)
    assert record["summary"]["upgraded"] == pytest.approx(2 / 6)  # 4 -> 3 and 4 -> 1
    assert (record["from_version"], record["to_version"]) == ("3", "4")
    assert as_frame(record).loc[4, 1] == 1 and as_frame(record).index.name == "from_grade"
    back = migration_record(promoted, champion, EDGES, "4", "3")
    assert np.array_equal(np.array(back["matrix"]), m.T)
    json.dumps(record, allow_nan=False)  # strict JSON: it goes into a registry tag


def test_the_printed_table_has_every_grade_and_the_totals() -> None:
    record = migration_record(np.array([0.01, 0.01, 0.3]), np.array([0.07, 0.01, 0.3]), EDGES, "1", "2")
    console = Console(width=80, record=True)
    console.print(migration_table(record))
    text = console.export_text()
    assert migration_heading(record).startswith("Migration on the test split (3 rows): grade by version 1")
    lines = [x for x in text.splitlines() if x.strip()]  # header, rule, a row per grade, total
    assert lines[0].split() == ["grade", "1", "2", "3", "4", "total"]
    assert lines[2].split() == ["1", "1", "1", "0", "0", "2"]  # champion grade 1: one stays, one goes to 2
    assert next(x for x in lines if x.split()[:1] == ["total"]).split() == ["total", "1", "1", "0", "1", "3"]


def test_a_matrix_that_cannot_be_computed_is_recorded_not_fatal() -> None:
    def missing(_from: str, _to: str) -> dict:
        raise FileNotFoundError("artifacts/split/split.parquet: not found (run the split stage first)")

    record = migration_or_reason(missing, "1", "2")
    assert record["from_version"] == "1" and "split.parquet" in record["error"]
    assert (
        migration_or_reason(lambda a, b: {"from_version": a, "to_version": b}, "1", "2")["to_version"] == "2"
    )
