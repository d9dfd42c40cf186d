"""The preprocessor's column plan (numpy kernels) against its reference path (the data stages' validator,
domain features and encoder): the same matrix on typed, CSV-like and JSON-like rows, one row or a batch;
anything the plan does not recognise goes to the reference path, errors included."""

from __future__ import annotations

import functools
import pickle

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config import compose_config
from credit_scoring.errors import InputDataError
from credit_scoring.scoring.pipeline import ApplicantPreprocessor


@functools.cache
def _config(overrides: tuple[str, ...]):
    return compose_config(list(overrides))


def _preprocessor(overrides: list[str], train: pd.DataFrame, side: list[str] | None = None):
    cfg = _config(tuple(overrides))
    return ApplicantPreprocessor(cfg.dataset, cfg.features).fit(train, side_columns=side)


def _loans(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "loan_id": np.arange(n),
            "default": rng.integers(0, 2, n),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "debt": np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(9, 1.0, n).round(2)),
            "age": rng.integers(18, 80, n).astype("float64"),
            "purpose": rng.choice(np.array(["car", "home", "study", None], dtype=object), n),
            "has_guarantor": rng.choice(np.array(["Y", "N", None], dtype=object), n),
        }
    )


def _home(n: int, seed: int) -> pd.DataFrame:
    """A few Home Credit application columns (the others absent) with the DAYS_EMPLOYED sentinel, plus two
    side aggregates."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "SK_ID_CURR": np.arange(100_000, 100_000 + n),
            "AMT_INCOME_TOTAL": rng.lognormal(11, 0.5, n).round(1),
            "AMT_CREDIT": rng.lognormal(12, 0.6, n).round(1),
            "AMT_ANNUITY": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(9, 0.4, n).round(1)),
            "DAYS_EMPLOYED": np.where(rng.random(n) < 0.2, 365243, -rng.integers(1, 9000, n)),
            "FLAG_OWN_CAR": rng.choice(np.array(["Y", "N"], dtype=object), n),
            "NAME_CONTRACT_TYPE": rng.choice(
                np.array(["Cash loans", "Revolving loans", None], dtype=object), n
            ),
            "CODE_GENDER": rng.choice(np.array(["F", "M", "XNA"], dtype=object), n),
            "BUREAU_DEBT_MEAN": np.where(rng.random(n) < 0.3, np.nan, rng.normal(0, 1, n)),
            "PREV_COUNT": rng.integers(0, 5, n).astype("float64"),
        }
    )


CASES = {
    "single_table onehot": (["dataset=single_table"], _loans, None),
    "single_table ordinal": (["dataset=single_table", "features.encoding.method=ordinal"], _loans, None),
    "home_credit onehot": ([], _home, ["BUREAU_DEBT_MEAN", "PREV_COUNT"]),
}


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)  # NaN equal to NaN, every other value bit for bit


def _as_typed(pre: ApplicantPreprocessor, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as the data stages store them (nullable ints, int8 flags, categoricals)."""
    from credit_scoring.data.tables import validate_table
    from credit_scoring.scoring.pipeline import application_table

    app_cols = [c for c in rows.columns if c in pre.application_columns_]
    table = application_table(pre.dataset)
    typed = validate_table(rows[app_cols], table, file="t", examples=3)
    return pd.concat([typed, rows.drop(columns=app_cols)], axis=1)


def _as_json(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as a JSON payload arrives one row at a time: object columns, None for missing."""
    return pd.DataFrame(
        {c: pd.Series([None if pd.isna(v) else v for v in rows[c]], dtype=object) for c in rows}
    )


@pytest.mark.parametrize("case", list(CASES))
def test_plan_equals_reference_in_batch_and_one_row(case: str) -> None:
    overrides, make, side = CASES[case]
    train = make(300, seed=1)
    pre = _preprocessor(overrides, train.drop(columns=(side or [])), side)
    assert pre.column_plan() is not None
    rows = make(40, seed=2).drop(columns=[pre.dataset.target], errors="ignore")
    for variant in (rows, _as_typed(pre, rows), _as_json(rows)):
        fast = pre.column_plan().matrix(variant)
        assert fast is not None, "the plan must take these rows"
        reference = pre.reference_matrix(variant)
        _same(fast, reference)
        _same(pre.transform_matrix(variant), reference)
        for i in (0, 7, 39):
            one = variant.iloc[[i]].reset_index(drop=True)
            assert pre.column_plan().matrix(one) is not None
            _same(pre.transform_matrix(one), reference[i : i + 1])
            _same(pre.transform_matrix(_as_json(one)), reference[i : i + 1])


def _columns(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The rows as MLflow's `inputs` payload reaches the pyfunc: name -> numpy array of the JSON values."""
    return {c: np.array([None if pd.isna(v) else v for v in rows[c]]) for c in rows}


@pytest.mark.parametrize("case", list(CASES))
def test_rows_given_column_by_column_equal_the_frame(case: str) -> None:
    """MLflow's `inputs` (column name -> values): the same matrix as the frame of the same rows, one row
    (the plan reads the columns, no frame) and a batch (through a frame)."""
    overrides, make, side = CASES[case]
    pre = _preprocessor(overrides, make(300, seed=1).drop(columns=(side or [])), side)
    rows = make(40, seed=6).drop(columns=[pre.dataset.target], errors="ignore")
    reference = pre.reference_matrix(rows)
    _same(pre.columns_matrix(_columns(rows), len(rows)), reference)
    for i in (0, 9, 39):
        one = rows.iloc[[i]].reset_index(drop=True)
        _same(pre.columns_matrix(_columns(one), 1), reference[i : i + 1])


def test_columns_of_names_a_column_of_another_length() -> None:
    from credit_scoring.scoring.pipeline import columns_of

    arrays, n = columns_of({"a": [1.0, 2.0], "b": np.array(["x", None])})
    assert n == 2 and arrays["b"].dtype == object
    with pytest.raises(InputDataError, match="column b has 1 value"):
        columns_of({"a": [1.0, 2.0], "b": ["x"]})
    with pytest.raises(InputDataError, match="no rows"):
        columns_of({})


def test_absent_columns_and_unseen_levels_match_the_reference() -> None:
    overrides, make, side = CASES["home_credit onehot"]
    pre = _preprocessor(overrides, make(200, seed=3).drop(columns=side), side)
    rows = make(5, seed=4).drop(columns=["AMT_ANNUITY", "PREV_COUNT", "FLAG_OWN_CAR"])
    rows["CODE_GENDER"] = ["F", "unseen level", None, "M", ""]
    assert pre.column_plan().matrix(rows) is not None
    _same(pre.transform_matrix(rows), pre.reference_matrix(rows))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("income", np.inf),  # infinite number
        ("age", 30.5),  # not a whole number in an int column
        ("has_guarantor", "maybe"),  # not a flag
        ("has_guarantor", 2.0),  # not a flag (the column as numbers)
    ],
)
def test_rejected_values_take_the_reference_path_and_its_error(column: str, value: object) -> None:
    pre = _preprocessor(["dataset=single_table"], _loans(100, seed=5))
    rows = _loans(3, seed=6).drop(columns=["default"]).astype({column: object})
    if isinstance(value, float) and column == "has_guarantor":
        rows[column] = [1.0, 0.0, 0.0]
    rows.loc[1, column] = value
    assert pre.column_plan().matrix(rows) is None
    with pytest.raises(InputDataError, match=column):
        pre.transform_matrix(rows)


def test_numbers_given_as_text_and_numbers_as_categories_go_to_the_reference() -> None:
    pre = _preprocessor(["dataset=single_table"], _loans(100, seed=7))
    rows = _loans(3, seed=8).drop(columns=["default"])
    text = rows.astype({"income": object})
    text["income"] = [str(v) for v in rows["income"]]
    numbered = rows.assign(purpose=[1.0, 2.0, np.nan])
    for variant in (text, numbered):
        assert pre.column_plan().matrix(variant) is None
        _same(pre.transform_matrix(variant), pre.reference_matrix(variant))


def test_the_plan_is_not_pickled_and_is_rebuilt_after_loading() -> None:
    pre = _preprocessor(["dataset=single_table"], _loans(100, seed=9))
    rows = _loans(10, seed=10).drop(columns=["default"])
    before = pre.transform_matrix(rows)
    assert pre.column_plan() is not None
    loaded = pickle.loads(pickle.dumps(pre))
    assert "_plan" not in loaded.__dict__
    _same(loaded.transform_matrix(rows), before)
    assert loaded.column_plan() is not None
