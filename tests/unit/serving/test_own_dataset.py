"""The app on another bank's dataset: what-if fields fall back to the champion's most important raw columns,
labels are worded from the column names, an uploaded CSV never needs the target; the monitor's batch table."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from credit_scoring.config import ColumnType, compose_config
from credit_scoring.config.dataset import ColumnsByType, DatasetConfig, TableConfig
from credit_scoring.monitoring.populations import batch_files, batch_table, default_labels
from credit_scoring.serving.batch import upload_table
from credit_scoring.serving.explain import Labeller
from credit_scoring.serving.requests import DEFAULT_WHAT_IF_FIELDS, what_if_columns

DECLARED = {
    "CLIENT_NO": ColumnType.int,
    "DEFAULTED": ColumnType.int,
    "MONTHLY_INCOME": ColumnType.float,
    "LOAN_AMOUNT": ColumnType.float,
    "AGE_DAYS": ColumnType.int,
    "INCOME_SOURCE": ColumnType.category,
    "HAS_CAR": ColumnType.flag,
}


def _version(columns: list[str] | None = None) -> SimpleNamespace:
    ds = SimpleNamespace(id="CLIENT_NO", target="DEFAULTED")
    application = columns if columns is not None else [c for c in DECLARED if c != "DEFAULTED"]
    return SimpleNamespace(ds=ds, declared=DECLARED, application_columns=application)


def test_configured_fields_that_exist_are_kept_in_their_order() -> None:
    v = _version()
    assert what_if_columns(v, ["AMT_CREDIT", "LOAN_AMOUNT", "HAS_CAR"], ["HAS_CAR"]) == [
        "LOAN_AMOUNT",
        "HAS_CAR",
    ]


def test_no_configured_field_exists_the_most_important_raw_columns() -> None:
    v = _version()
    ranked = ["LOAN_INCOME_RATIO", "INCOME_SOURCE", "CLIENT_NO", "MONTHLY_INCOME", "AGE_DAYS"]
    # derived features and the id are not editable; as many fields as configured
    assert what_if_columns(v, ["AMT_CREDIT", "DAYS_BIRTH"], ranked) == ["INCOME_SOURCE", "MONTHLY_INCOME"]
    # fewer ranked columns than wanted: the other application columns follow
    assert what_if_columns(v, ["A", "B", "C", "D"], ["AGE_DAYS"]) == [
        "AGE_DAYS", "MONTHLY_INCOME", "LOAN_AMOUNT", "INCOME_SOURCE"
    ]  # fmt: skip


def test_no_configured_fields_at_all_takes_the_default_count() -> None:
    many = {f"X{i}": ColumnType.float for i in range(15)}
    v = SimpleNamespace(
        ds=SimpleNamespace(id="ID", target="Y"), declared=many, application_columns=list(many)
    )
    assert len(what_if_columns(v, [], list(many))) == DEFAULT_WHAT_IF_FIELDS == 10


@pytest.mark.parametrize(
    ("column", "label"),
    [("MONTHLY_INCOME", "Monthly income"), ("loan_amount", "Loan amount"), ("AGE_DAYS", "Age days")],
)
def test_labels_fall_back_to_readable_column_names(column: str, label: str) -> None:
    assert Labeller(compose_config().serving.plain_words).label(column) == label


def _table(file: str, columns: ColumnsByType) -> TableConfig:
    return TableConfig(file=file, columns=columns, key=["CLIENT_NO"], references=[])


def test_an_upload_never_needs_the_target() -> None:
    table = _table("loans.csv", ColumnsByType(int="CLIENT_NO DEFAULTED", float="MONTHLY_INCOME"))
    v = SimpleNamespace(table=table, ds=SimpleNamespace(target="DEFAULTED"))
    assert list(upload_table(v).types) == ["CLIENT_NO", "MONTHLY_INCOME"]
    assert table.types["DEFAULTED"] is ColumnType.int  # the champion's own table is untouched


def test_batch_table_without_a_production_table_is_the_training_table(tmp_path) -> None:
    base = compose_config(["dataset=single_table"]).dataset
    assert isinstance(base, DatasetConfig) and base.production_table is None
    assert batch_table(base) == "loans"
    (tmp_path / "loans.csv").write_text("loan_id\n1\n")
    assert batch_files(base, tmp_path) == {"loans": "loans.csv"}
    home = compose_config().dataset
    assert batch_table(home) == home.production_table


def test_the_stage_reads_the_oracle_only_when_it_is_this_dataset(tmp_path) -> None:
    oracle = tmp_path / "oracle.csv"
    oracle.write_text("SK_ID_CURR,TARGET\n1,0\n")
    home = compose_config().dataset
    assert default_labels(oracle, home) == oracle
    assert default_labels(tmp_path / "absent.csv", home) is None
    own = dataclasses.replace(home, id="CLIENT_NO", target="DEFAULTED")  # another bank's oracle: not read
    assert default_labels(oracle, own) is None
    assert default_labels(oracle, compose_config(["dataset=single_table"]).dataset) is None  # no production
