"""Plausibility rules on tiny frames: ranges at ingest (lines and values named), notices of one row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from credit_scoring.config.dataset import PlausibleRange
from credit_scoring.data.plausibility import range_problems, row_notices

RULES = [PlausibleRange("income", 0, 1e9), PlausibleRange("age", 18, None)]


def test_ranges_name_the_column_lines_and_values() -> None:
    frame = pa.table({"income": [10.0, -1.0, None, 2e9], "age": pa.array([30, 17, None, 40], pa.int64())})
    assert range_problems(frame, RULES, file="t.csv", examples=5) == [
        "t.csv: column income has 2 values outside its plausible range [0, 1e+09] (lines 3, 5: -1, 2e+09)",
        "t.csv: column age has 1 value outside its plausible range [18, inf] (line 3: 17)",
    ]


def test_missing_values_and_absent_columns_pass() -> None:
    frame = pd.DataFrame({"income": [np.nan, 5.0]})
    assert range_problems(frame, RULES, file="t.csv", examples=5) == []


def test_row_notices() -> None:
    levels = {"purpose": ["car", "home"]}
    row = {"income": 1e308, "age": 40, "purpose": "yacht"}
    assert row_notices(row, RULES, levels) == [
        "income = 1e+308 is outside its plausible range [0, 1e+09]",
        "purpose = 'yacht' is a level the model never saw (scored as an unknown level)",
    ]
    assert row_notices({"income": None, "purpose": np.nan}, RULES, levels) == []
