"""Text in a declared number column of an already parsed frame (a monitor --current file) is named."""

from __future__ import annotations

import pandas as pd

from credit_scoring.config import compose_config
from credit_scoring.data.tables import non_numeric_problems

TABLE = compose_config().dataset.tables["application_test"]


def test_text_in_a_number_column_is_named_with_lines() -> None:
    frame = pd.DataFrame(
        {"AMT_CREDIT": ["1.5", "lots", None, "x"], "NAME_CONTRACT_TYPE": ["a", "b", "c", "d"]}
    )
    assert non_numeric_problems(frame, TABLE, "batch.csv", 5) == [
        "batch.csv: column AMT_CREDIT has 2 non-numeric values (lines 3, 5: 'lots', 'x')"
    ]


def test_numbers_and_absent_columns_pass() -> None:
    frame = pd.DataFrame({"AMT_CREDIT": [1.0, 2.0], "CNT_CHILDREN": [0, 1]})
    assert non_numeric_problems(frame, TABLE, "batch.csv", 5) == []
