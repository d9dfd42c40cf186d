"""Schema inference (`credit-scoring dataset init`) on tiny inline CSVs: types, keys, references, sentinels, the
written file loading with the config schema, and one line per bad input with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from credit_scoring.cli.main import app
from credit_scoring.config import ColumnType, compose_config
from credit_scoring.config.schema import DEFAULT_CONF_DIR
from credit_scoring.data.dataset_yaml import parse_dataset, render_dataset, scalar
from credit_scoring.data.infer import (
    InferenceError,
    collect_csvs,
    contained,
    find_sentinel,
    infer_column_type,
    infer_dataset,
    unique_key,
    widest,
)

runner = CliRunner()

LOANS = """loan_id,default,age,income,has_car,owns_home,purpose,days_employed
1,0,30,1000.5,0,Y,car,-100
2,1,41,2000.0,1,N,home,-2000
3,0,25,,0,Y,car,365243
4,0,52,1500.25,1,N,other,-150
5,1,33,900.0,,Y,home,-3000
"""
PAYMENTS = """payment_id,loan_id,amount,late
10,1,5.5,0
11,1,6.0,1
12,2,7.25,0
13,4,1.0,0
"""
PRODUCTION = """loan_id,age,income,has_car,owns_home,purpose,days_employed
100,30,1000.5,0,Y,car,-100
101,44,1200.0,1,N,home,-20
"""


def text(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / f"{name}.csv").write_text(body)
    return folder


def init(*args: str) -> object:
    return runner.invoke(app, ["dataset", "init", *args])


# ---- pure functions -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "2", None, "-3"], ColumnType.int),
        (["1.0", "2.5", None], ColumnType.float),
        (["1", "2.0"], ColumnType.float),
        (["0", "1", None, "1"], ColumnType.flag),
        (["0.0", "1.0"], ColumnType.flag),
        (["Y", "N", None], ColumnType.flag),
        (["Y", "0"], ColumnType.category),
        (["car", "home", "1"], ColumnType.category),
        ([None, None], ColumnType.float),
    ],
)
def test_column_types(values: list[str | None], kind: ColumnType) -> None:
    assert infer_column_type(text(values)) is kind


def test_widest_type_of_two_samples() -> None:
    assert widest(ColumnType.flag, ColumnType.int) is ColumnType.int
    assert widest(ColumnType.int, ColumnType.float) is ColumnType.float
    assert widest(ColumnType.flag, ColumnType.category) is ColumnType.category


def test_sentinel_far_outside_the_rest() -> None:
    values = [str(-v * 37 % 20000) for v in range(200)] + ["365243"] * 30
    found = find_sentinel("DAYS", text(values))
    assert found is not None and found.value == 365243 and found.count == 30 and found.sure
    assert found.shown == "365243"


def test_no_sentinel_in_an_ordinary_column() -> None:
    assert find_sentinel("AGE", text([str(20 + v % 50) for v in range(200)])) is None
    assert find_sentinel("ONCE", text([str(v) for v in range(100)] + ["99999"])) is None  # seen once only


def test_unique_key_and_containment() -> None:
    assert unique_key(text(["1", "2", "3"])) == (0, 0, [])
    assert unique_key(text(["1", "2", "2", None])) == (1, 1, ["2"])
    assert contained(text(["1", "2", None]), [text(["1.0", "2", "3"])]) == 0
    assert contained(text(["1", "9"]), [text(["1"]), text(["2"])]) == 1


def test_scalar_quotes_what_yaml_would_misread() -> None:
    assert scalar("loans") == "loans"
    assert scalar("no") == '"no"'
    assert scalar("my table") == '"my table"'


# ---- a small dataset ----------------------------------------------------------------------------------------
def test_infers_types_keys_references_and_sentinels(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS, payments=PAYMENTS, production=PRODUCTION)
    info = infer_dataset("mine", collect_csvs([raw]), "loan_id", "default", "production")
    assert list(info.tables) == ["loans", "production", "payments"]
    loans = info.tables["loans"]
    assert {k.value: loans.columns_of(k) for k in ColumnType} == {
        "int": ["loan_id", "default", "age", "days_employed"],
        "float": ["income"],
        "flag": ["has_car", "owns_home"],
        "category": ["purpose"],
    }
    assert loans.key == ["loan_id"] and info.tables["production"].key == ["loan_id"]
    payments = info.tables["payments"]
    assert payments.key == ["payment_id"]
    assert [(r.column, r.tables) for r in payments.references] == [("loan_id", ["loans", "production"])]
    assert payments.types["late"] is ColumnType.flag
    assert info.target_rate == pytest.approx(0.4)


def test_orphan_values_are_not_a_reference(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS, payments=PAYMENTS.replace("13,4,", "13,77,"))
    info = infer_dataset("mine", collect_csvs([raw]), "loan_id", "default")
    payments = info.tables["payments"]
    assert payments.references == []
    assert any("1 value(s) not found in loans" in n for n in payments.notes)


def test_written_file_composes_with_the_real_configuration(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(DEFAULT_CONF_DIR, conf)
    raw = write(tmp_path / "raw", loans=LOANS, payments=PAYMENTS, production=PRODUCTION)
    result = init(str(raw), "--name", "mine", "--id", "loan_id", "--target", "default",
                  "--production", "production", "--out", str(conf / "dataset"))  # fmt: skip
    assert result.exit_code == 0, result.output
    written = (conf / "dataset" / "mine.yaml").read_text()
    assert "# Inferred by `credit-scoring dataset init`" in written
    ds = compose_config(["dataset=mine"], conf_dir=conf).dataset
    assert ds.train_table == "loans" and ds.production_table == "production"
    assert ds.tables["loans"].types["days_employed"] is ColumnType.int
    assert [a.table for a in ds.aggregations] == ["payments"]
    assert ds.aggregations[0].numeric == {"amount": "min max mean"}


def test_a_second_applicant_table_without_production_is_a_side_table(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS, production=PRODUCTION)
    info = infer_dataset("mine", collect_csvs([raw]), "loan_id", "default")
    side = info.tables["production"]
    assert info.side_tables == ["production"] and side.key == ["loan_id"]
    assert any("--production" in n for n in side.notes)
    text_ = render_dataset(info, 1000)
    assert "# categorical: >-" in text_ and "#   purpose" in text_
    assert [a.table for a in parse_dataset(text_).aggregations] == ["production"]


def test_sentinel_suggested_when_sure(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i % 2},{-(i * 37 % 5000)}" for i in range(1, 200))
    odd = "\n".join(f"{i},0,365243" for i in range(200, 230))
    raw = write(tmp_path / "raw", apps=f"id,y,days\n{rows}\n{odd}\n")
    info = infer_dataset("s", collect_csvs([raw]), "id", "y")
    ds = parse_dataset(render_dataset(info, 1000))
    assert [(s.column, s.value, s.flag) for s in ds.sentinels] == [("days", 365243.0, "days_ANOM")]


def test_a_file_argument_and_a_side_table_without_the_id(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS, payments=PAYMENTS)
    write(raw, lines="line_id,payment_id,x\n1,10,1.5\n2,10,2.5\n3,12,0.5\n")
    info = infer_dataset("m", collect_csvs([raw / "loans.csv", raw / "payments.csv", raw / "lines.csv"]),
                         "loan_id", "default")  # fmt: skip
    text_ = render_dataset(info, 1000)
    assert "lines has no loan_id column: not aggregated" in text_
    ds = parse_dataset(text_)
    assert [a.table for a in ds.aggregations] == ["payments"]
    assert ds.tables["lines"].references[0].tables == ["payments"]


# ---- bad inputs: one line each, nothing written -------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({}, ["missing.csv"], "missing.csv: no such file or folder"),
        ({"loans": ""}, [], "loans.csv: file is empty"),
        ({"loans": LOANS}, ["--id", "nope"], "no id column 'nope'"),
        (
            {"loans": LOANS.replace("\n2,", "\n1,")},
            [],
            "id column 'loan_id' is not unique (1 repeated row(s), e.g. 1)",
        ),
        ({"loans": LOANS.replace("2,1,41", "2,2,41")}, [], "target 'default' must be 0 or 1 on every row"),
        ({"loans": LOANS}, ["--target", "bad"], "target column 'bad' is missing"),
        ({"loans": LOANS}, ["--production", "prod"], "--production 'prod' is not one of the tables"),
        ({"loans": "loan_id,default\n"}, [], "loans.csv: has a header but no data rows"),
        (
            {"loans": LOANS},
            ["--production", "loans"],
            "--production 'loans' is the only table with the target",
        ),
        ({"loans": LOANS}, ["--target", "loan_id"], "--id and --target are the same column"),
        ({"loans": LOANS + "6,0\n"}, [], "loans.csv: cannot be parsed as CSV"),
        ({"loans": LOANS.replace("age,", "my age,", 1)}, [], "'my age' contain spaces"),
        ({"loans": LOANS.replace("age,", "income,", 1)}, [], "income appear more than once"),
    ],
)
def test_bad_input_one_line_nothing_written(
    tmp_path: Path, files: dict, args: list[str], message: str
) -> None:
    raw = write(tmp_path / "raw", **files)
    out = tmp_path / "out"
    sources = [str(raw / a) for a in args[:1] if a.endswith(".csv")] or [str(raw)]
    options = {"--id": "loan_id", "--target": "default"}
    rest = [a for a in args if not a.endswith(".csv")]
    options.update(dict(zip(rest[::2], rest[1::2], strict=True)))
    result = init(*sources, "--name", "mine", "--out", str(out), *(x for kv in options.items() for x in kv))
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_several_problems_one_line_each(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans="", other="")
    result = init(str(raw), "--name", "m", "--id", "a", "--target", "b", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert [line.startswith("Error:") for line in result.output.splitlines()] == [True, True]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.yaml").write_text("# mine\n")
    args = [str(raw), "--name", "mine", "--id", "loan_id", "--target", "default", "--out", str(out)]
    result = init(*args)
    assert result.exit_code == 2 and "already exists (--force to overwrite it)" in result.output
    assert (out / "mine.yaml").read_text() == "# mine\n"
    result = init(*args, "--force")
    assert result.exit_code == 0, result.output
    assert parse_dataset((out / "mine.yaml").read_text()).train_table == "loans"


def test_bad_name_is_a_usage_error(tmp_path: Path) -> None:
    raw = write(tmp_path / "raw", loans=LOANS)
    result = init(str(raw), "--name", "a/b", "--id", "loan_id", "--target", "default", "--out", str(tmp_path))
    assert result.exit_code == 2 and "--name" in result.output


def test_inference_error_lists_problems() -> None:
    error = InferenceError(["a", "b"])
    assert error.problems == ["a", "b"] and str(error) == "a\nb"


def test_production_differences_are_noted(tmp_path: Path) -> None:
    production = PRODUCTION.replace("loan_id,age,", "loan_id,default,").replace("100,30,", "100,0,")
    production = production.replace("101,44,", "101,1,")
    raw = write(tmp_path / "raw", loans=LOANS, production=production)
    info = infer_dataset("mine", collect_csvs([raw]), "loan_id", "default", "production")
    notes = " ".join(info.tables["production"].notes)
    assert "missing training columns (must be added): age" in notes
    assert "has the target default" in notes
    assert "# missing training columns" in render_dataset(info, 1000)
