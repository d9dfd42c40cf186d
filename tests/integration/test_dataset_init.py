"""`credit-scoring dataset init` on the generated Home Credit files reproduces the committed
conf/dataset/home_credit.yaml: the column types of every table, the keys, the references and the 365243
sentinels; and the written dataset runs through ingest and merge."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from credit_scoring.cli.main import app
from credit_scoring.config import ColumnType, Config, DatasetConfig, compose_config
from credit_scoring.config.schema import DEFAULT_CONF_DIR
from credit_scoring.data.dataset_yaml import parse_dataset
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge

pytestmark = pytest.mark.integration

APPLICANTS = 1_500
NAME = "inferred_home_credit"

# Columns that cannot be told apart on generated data, with the reason: counts written as floats (NaN in the
# real CSVs) that are rare, so that all of a small sample's values can be 0.0 or 1.0 (which ones depends on
# the seed): they look like flags. Any other difference fails.
MAY_LOOK_FLAG = "a rare count: every generated value may be 0.0 or 1.0"
EXCEPTIONS: dict[tuple[str, str], tuple[ColumnType, str]] = {
    **{
        (table, col): (ColumnType.flag, MAY_LOOK_FLAG)
        for table in ("application_train", "application_test")
        for col in ("AMT_REQ_CREDIT_BUREAU_HOUR", "AMT_REQ_CREDIT_BUREAU_DAY", "AMT_REQ_CREDIT_BUREAU_WEEK")
    },
    ("credit_card_balance", "CNT_DRAWINGS_OTHER_CURRENT"): (ColumnType.flag, MAY_LOOK_FLAG),
}


@pytest.fixture(scope="module")
def inferred(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, DatasetConfig]:
    root = tmp_path_factory.mktemp("dataset_init")
    raw = root / "raw"
    generate(GeneratorConfig(applicants=APPLICANTS, seed=5), raw, root / "oracle")
    conf = root / "conf"
    shutil.copytree(DEFAULT_CONF_DIR, conf)
    args = [str(raw), "--name", NAME, "--id", "SK_ID_CURR", "--target", "TARGET"]
    args += ["--production", "application_test", "--out", str(conf / "dataset")]
    result = CliRunner().invoke(app, ["dataset", "init", *args])
    assert result.exit_code == 0, result.output
    return raw, conf, compose_config([f"dataset={NAME}"], conf_dir=conf).dataset


def test_types_match_the_committed_dataset(inferred: tuple[Path, Path, DatasetConfig]) -> None:
    ds = inferred[2]
    committed = compose_config([]).dataset
    assert set(ds.tables) == set(committed.tables)
    differences = {}
    for name, table in committed.tables.items():
        found = ds.tables[name].types
        assert list(found) and set(found) == set(table.types), name
        for col, kind in table.types.items():
            if found[col] is not kind:
                differences[(name, col)] = found[col]
    allowed = {key: kind for key, (kind, _reason) in EXCEPTIONS.items()}
    unexplained = {key: kind for key, kind in differences.items() if allowed.get(key) is not kind}
    assert unexplained == {}
    assert len(differences) <= len(EXCEPTIONS)


def test_keys_references_and_sentinels_match(inferred: tuple[Path, Path, DatasetConfig]) -> None:
    ds = inferred[2]
    committed = compose_config([]).dataset
    assert (ds.id, ds.target, ds.train_table, ds.production_table) == (
        committed.id,
        committed.target,
        committed.train_table,
        committed.production_table,
    )
    for name, table in committed.tables.items():
        assert ds.tables[name].key == table.key, name
        refs = {(r.column, tuple(sorted(r.tables))) for r in ds.tables[name].references}
        assert refs == {(r.column, tuple(sorted(r.tables))) for r in table.references}, name
    assert [(s.column, s.value) for s in ds.sentinels] == [(s.column, s.value) for s in committed.sentinels]
    blocks = {a.table: a for a in ds.aggregations}
    committed_prev = next(a for a in committed.aggregations if a.table == "previous_application")
    assert {s.column for s in blocks["previous_application"].sentinels} == {
        s.column for s in committed_prev.sentinels
    }
    assert "bureau_balance" not in blocks  # no SK_ID_CURR: a comment explains attach_to


def test_inferred_dataset_runs_through_ingest_and_merge(
    inferred: tuple[Path, Path, DatasetConfig], tmp_path: Path
) -> None:
    raw, conf, _ = inferred
    paths = [f"paths.raw={raw}", f"paths.ingest={tmp_path}/ingest", f"paths.merge={tmp_path}/merge"]
    cfg: Config = compose_config([f"dataset={NAME}", *paths], conf_dir=conf)
    ingest(cfg, log=lambda _m: None)
    merge(cfg, log=lambda _m: None)
    assert (tmp_path / "merge" / "side_features.parquet").is_file()


def test_single_table_example_is_reproduced(tmp_path: Path) -> None:
    """The loans.csv of single_table.yaml (as tests/integration/test_single_table.py builds it): same types."""
    rng = np.random.default_rng(0)
    n = 600
    loans = pd.DataFrame(
        {
            "loan_id": np.arange(5000, 5000 + n),
            "default": (rng.random(n) < 0.2).astype(int),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "debt": rng.lognormal(9, 1.0, n).round(2),
            "age": rng.integers(18, 80, n),
            "purpose": rng.choice(["car", "home", "study", None], n),
            "has_guarantor": rng.choice(["Y", "N"], n),
        }
    )
    loans.to_csv(tmp_path / "loans.csv", index=False)
    out = tmp_path / "dataset"
    args = [str(tmp_path / "loans.csv"), "--name", "loans", "--id", "loan_id", "--target", "default"]
    result = CliRunner().invoke(app, ["dataset", "init", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    ds = parse_dataset((out / "loans.yaml").read_text())
    committed = compose_config(["dataset=single_table"]).dataset
    assert ds.tables["loans"].types == committed.tables["loans"].types
    assert (ds.train_table, ds.production_table, ds.aggregations) == ("loans", None, [])
    assert ds.tables["loans"].key == ["loan_id"]
