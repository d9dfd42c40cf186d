"""Bring your own portfolio: another bank's tables run through every stage, the registry, the monitor and
the app, with only a dataset YAML.

The data is the generated Home Credit application_train cut down to a dozen columns and renamed (none of
the Home Credit labels or what-if fields exist). Two datasets are built from it: one table and no
production table (`production_table: null`), and the same table with a production table of new
applications. Each runs ingest ... train, register and monitor in-process into a temporary MLflow store;
then the app's ScoringService scores a client and builds its what-if form from the champion.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml

from credit_scoring.config import Config, compose_config
from credit_scoring.config.schema import DEFAULT_CONF_DIR
from credit_scoring.generator import GeneratorConfig, generate
from credit_scoring.stages.features import run as features_stage
from credit_scoring.stages.ingest import run as ingest
from credit_scoring.stages.merge import run as merge
from credit_scoring.stages.monitor import NO_PRODUCTION
from credit_scoring.stages.monitor import run as monitor_stage
from credit_scoring.stages.register import run as register_stage
from credit_scoring.stages.resample import run as resample_stage
from credit_scoring.stages.split import run as split_stage
from credit_scoring.stages.train import run as train_stage
from credit_scoring.tracking.store import ENV_TRACKING_URI, use_tracking_uri

pytestmark = [pytest.mark.integration, pytest.mark.slow]

APPLICANTS = 3_000
REPO_ROOT = Path(__file__).resolve().parents[2]
QUIET = {"log": lambda _msg: None}
RENAMED = {  # Home Credit column -> the other bank's name
    "SK_ID_CURR": "CLIENT_NO",
    "TARGET": "DEFAULTED",
    "AMT_INCOME_TOTAL": "MONTHLY_INCOME",
    "AMT_CREDIT": "LOAN_AMOUNT",
    "AMT_ANNUITY": "INSTALMENT",
    "DAYS_BIRTH": "AGE_DAYS",
    "DAYS_EMPLOYED": "JOB_DAYS",
    "EXT_SOURCE_1": "BUREAU_SCORE_A",
    "EXT_SOURCE_2": "BUREAU_SCORE_B",
    "EXT_SOURCE_3": "BUREAU_SCORE_C",
    "CNT_CHILDREN": "CHILDREN",
    "NAME_INCOME_TYPE": "INCOME_SOURCE",
    "NAME_EDUCATION_TYPE": "SCHOOLING",
    "FLAG_OWN_CAR": "HAS_CAR",
    "CODE_GENDER": "CODE_GENDER",  # kept: the fairness group column
}
COLUMNS = {
    "int": "CLIENT_NO AGE_DAYS JOB_DAYS CHILDREN",
    "float": "MONTHLY_INCOME LOAN_AMOUNT INSTALMENT BUREAU_SCORE_A BUREAU_SCORE_B BUREAU_SCORE_C",
    "flag": "HAS_CAR",
    "category": "INCOME_SOURCE SCHOOLING CODE_GENDER",
}


def _dataset(production: bool) -> dict:
    train_columns = {**COLUMNS, "int": COLUMNS["int"] + " DEFAULTED"}
    tables = {"loans": {"file": "loans.csv", "key": ["CLIENT_NO"], "columns": train_columns}}
    if production:
        tables["new_loans"] = {"file": "new_loans.csv", "key": ["CLIENT_NO"], "columns": COLUMNS}
    return {
        "name": "own_bank_production" if production else "own_bank",
        "id": "CLIENT_NO",
        "target": "DEFAULTED",
        "train_table": "loans",
        "production_table": "new_loans" if production else None,
        "error_examples": 5,
        "sentinels": [],
        "domain_features": [
            {"name": "LOAN_INCOME_RATIO", "op": "ratio", "columns": "LOAN_AMOUNT MONTHLY_INCOME"}
        ],
        "aggregations": [],
        "tables": tables,
    }


def _overrides(root: Path, dataset: str) -> list[str]:
    r, a = root, root / "artifacts"
    paths = {"raw": r / "raw", "ingest": a / "ingest", "merge": a / "merge", "split": a / "split",
             "features": a / "features", "eda_report": r / "reports" / "eda.html", "resample": a / "resample",
             "train": a / "train", "register": a / "register", "oracle": r / "oracle" / "oracle.csv",
             "data_dvc": r / "data.dvc", "monitor": a / "monitor"}  # fmt: skip
    return [f"paths.{k}={v}" for k, v in paths.items()] + [
        f"dataset={dataset}",
        "model=lightgbm",
        "tuning=none",
        "resampling=none",
        "registry.min_test_roc_auc=0.0",
        "registry.auto_promote=true",  # no approver in this test: the gate moves @champion
        "registry.log_datasets=false",
        f"registry.tracking_uri=sqlite:///{r}/mlruns/mlflow.db",
        f"registry.artifact_location={r}/mlruns/artifacts",
        f"monitoring.report.reports_dir={r}/reports",
        f"monitoring.report.drift_dir={r}/reports/drift",
        f"monitoring.report.runs_dir={r}/reports/monitoring",
        "monitoring.evidently.top_features=5",
        "runtime.threads=1",
        "serving.reload_seconds=0",
        "serving.context_rows=300",
        "serving.importance_rows=100",
        "serving.neighbours=20",
    ]


@pytest.fixture(scope="module")
def home_credit(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The generated application_train, cut to a dozen columns and renamed."""
    root = tmp_path_factory.mktemp("own_portfolio_source")
    generate(GeneratorConfig(applicants=APPLICANTS, seed=5), root / "raw", root / "oracle")
    app = pd.read_csv(root / "raw" / "application_train.csv", usecols=list(RENAMED))
    return app.rename(columns=RENAMED)[list(RENAMED.values())]


def _build(root: Path, loans: pd.DataFrame, production: bool) -> Config:
    """The raw CSVs, a copy of conf/ with the bank's dataset YAML, and the composed configuration."""
    raw = root / "raw"
    raw.mkdir(parents=True)
    if production:  # the last fifth: new applications, their outcomes unknown
        cut = int(len(loans) * 0.8)
        loans.iloc[:cut].to_csv(raw / "loans.csv", index=False)
        loans.iloc[cut:].drop(columns=["DEFAULTED"]).to_csv(raw / "new_loans.csv", index=False)
    else:
        loans.to_csv(raw / "loans.csv", index=False)
    conf = root / "conf"
    shutil.copytree(DEFAULT_CONF_DIR, conf)
    name = _dataset(production)["name"]
    (conf / "dataset" / f"{name}.yaml").write_text(yaml.safe_dump(_dataset(production), sort_keys=False))
    return compose_config(_overrides(root, name), conf_dir=conf)


def _run_every_stage(cfg: Config) -> dict:
    for stage in (ingest, merge, split_stage, features_stage, resample_stage, train_stage, register_stage):
        stage(cfg, **QUIET)
    return monitor_stage(cfg, **QUIET)


@pytest.fixture(scope="module", params=[False, True], ids=["no_production_table", "production_table"])
def portfolio(request, home_credit, tmp_path_factory) -> Iterator[tuple[Config, dict, Path]]:
    production = request.param
    root = tmp_path_factory.mktemp("own_portfolio_prod" if production else "own_portfolio")
    cfg = _build(root, home_credit, production)
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(ENV_TRACKING_URI, raising=False)
        mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
        summary = _run_every_stage(cfg)
        yield cfg, summary, root
    use_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])


def test_monitor_writes_the_report_card_metrics_and_run(portfolio) -> None:
    cfg, summary, root = portfolio
    drift = root / "reports" / "drift"
    assert json.loads((drift / "summary.json").read_text()) == summary
    assert (drift / "report.html").stat().st_size > 0
    assert (root / "reports" / "model_card.md").is_file() and (root / "reports" / "index.html").is_file()
    metrics = json.loads((root / "artifacts" / "monitor" / "metrics.json").read_text())
    assert metrics["features"] == summary["counts"]["features"] > 10
    assert "MONTHLY_INCOME" in summary["raw_columns"] and "DEFAULTED" not in summary["raw_columns"]
    current = summary["metadata"]["current"]
    if cfg.dataset.production_table is None:  # the held-out test split against the training split
        assert current.startswith(NO_PRODUCTION) and summary["score"]["psi"] is not None
    else:
        assert current.startswith("new_loans") and "600 rows" in current
    client = mlflow.tracking.MlflowClient(cfg.registry.tracking_uri)
    experiment = client.get_experiment_by_name(cfg.monitoring.tracking.experiment)
    assert experiment is not None and client.search_runs([experiment.experiment_id])


def test_the_app_scores_a_client_with_the_bank_own_fields(portfolio) -> None:
    from credit_scoring.serving.service import ScoringService

    cfg, _, root = portfolio
    service = ScoringService(cfg)
    store = service.store
    examples = service.example_ids()
    if cfg.dataset.production_table is None:
        assert examples["production"] == [] and len(store) == APPLICANTS  # the known clients only
    else:
        assert len(examples["production"]) == 3 and len(store) == APPLICANTS
    client = examples["known"][0]
    result = service.score_client(client)
    assert 0.0 <= result.probability <= 1.0 and result.reasons and result.outcome is not None
    # the what-if form: none of the configured Home Credit fields exists -> the champion's top raw columns
    fields = service.what_if_fields()
    columns = [f.column for f in fields]
    assert 0 < len(columns) <= len(cfg.serving.what_if_fields)
    assert not set(columns) & set(cfg.serving.what_if_fields)
    assert set(columns) <= set(COLUMNS["int"].split() + COLUMNS["float"].split() + COLUMNS["flag"].split()
                               + COLUMNS["category"].split()) - {"CLIENT_NO"}  # fmt: skip
    ranked = [f for f in service.champion.importance["feature"] if f in columns]
    assert columns[: len(ranked)] == ranked  # most important first
    labels = {f.column: f.label for f in fields}
    if "MONTHLY_INCOME" in labels:
        assert labels["MONTHLY_INCOME"] == "Monthly income"
    assert service.champion.labeller.label("MONTHLY_INCOME") == "Monthly income"
    # a what-if on the client and a new client from the form's fields
    shown = service.shown_values(client)
    changed = {
        f.column: shown[f.column] for f in fields if f.kind == "numeric" and shown[f.column] is not None
    }
    what_if = service.score_fields(service.raw_fields(changed, client) | {cfg.dataset.id: client})
    assert np.isclose(what_if.probability, result.probability)
    new = service.score_fields({c: v for c, v in changed.items()})
    assert new.client_id is None and 0.0 <= new.probability <= 1.0
    # a CSV of applications with the bank's columns (no target), and the page itself
    upload = root / "upload.csv"
    pd.read_csv(root / "raw" / "loans.csv").head(20).drop(columns=["DEFAULTED"]).to_csv(upload, index=False)
    scored = service.score_csv(upload)
    assert len(scored.frame) == 20 and scored.frame["probability"].between(0, 1).all()
    page = _build_app(service)
    assert page is not None


def _build_app(service):
    """The Gradio page of the service (the app package at the project root)."""
    import sys

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from app.layout import build_app

    return build_app(service)


def test_monitor_a_file_and_a_batch_folder_of_the_bank_rows(portfolio, tmp_path: Path) -> None:
    from credit_scoring.stages.monitor import monitor

    cfg, _, root = portfolio
    rows = pd.read_csv(root / "raw" / "loans.csv").tail(400)
    current = tmp_path / "new.parquet"
    rows.drop(columns=["DEFAULTED"]).to_parquet(current)  # new applications: no outcome yet
    summary = monitor(cfg, current=current, out_dir=tmp_path / "file", **QUIET).summary
    assert summary["counts"]["features"] > 10 and (tmp_path / "file" / "report.html").is_file()
    folder = tmp_path / "month_01"
    folder.mkdir()
    table = cfg.dataset.production_table or cfg.dataset.train_table
    source = root / "raw" / cfg.dataset.tables[table].file
    pd.read_csv(source).tail(400).to_csv(folder / cfg.dataset.tables[table].file, index=False)
    batch = monitor(cfg, current=folder, out_dir=tmp_path / "folder", **QUIET).summary
    assert batch["metadata"]["current"].startswith("month_01") and "400 rows" in batch["metadata"]["current"]
