"""Ad-hoc monitoring runs get one folder each, listed by date."""

from __future__ import annotations

import time

from credit_scoring.monitoring.index import run_folder_name, slug


def test_two_runs_of_one_batch_in_one_second_get_two_folders_in_date_order() -> None:
    names = []
    for _ in range(5):
        names.append(run_folder_name("better.parquet"))
        time.sleep(0.001)  # runs a millisecond apart: the old per-second names were all equal
    assert len(set(names)) == len(names)
    assert names == sorted(names)
    assert names[0].endswith("-better.parquet")


def test_kind_and_unsafe_characters() -> None:
    assert run_folder_name("month 01/x", "series").endswith("-series-month-01-x")
    assert slug("///") == "batch"
