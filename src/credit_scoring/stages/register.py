"""Stage `register`: register the trained model, and move the champion alias only through the gate.

The champion's pyfunc re-scores the current raw test rows with its own threshold, so that challenger and
champion are compared on the same rows (`credit_scoring.modelling.gate`). The version is registered either
way; the decision and its reason are tagged on the version and on the training run, and written to the
catalog's outcome. The stage exits 0 both ways.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from credit_scoring.config import Config
from credit_scoring.config.modelling import CostConfig, RegistryConfig
from credit_scoring.features.rows import split_rows
from credit_scoring.io.catalog import Catalog
from credit_scoring.modelling.costs import business_cost
from credit_scoring.modelling.gate import Champion, Lineage, Scores, feature_schema, gate, mismatch
from credit_scoring.scoring.pipeline import DECISION, PROBABILITY
from credit_scoring.stages.runner import Log, run_main
from credit_scoring.tracking.champion import find_champion, load_pipeline
from credit_scoring.tracking.store import setup_tracking, tracking_uri

NAME = "register"
PROMOTED, REJECTED = "promoted", "rejected"
DATASET_TAG, SCHEMA_TAG = "dataset", "feature_schema"  # lineage tags of every registered version


def scores_of(pyfunc: Any, rows: pd.DataFrame, y: np.ndarray, cost: CostConfig) -> Scores:
    """ROC AUC and business cost of a logged pyfunc on raw rows (its own threshold)."""
    out = pyfunc.predict(rows)
    return Scores(
        roc_auc=float(roc_auc_score(y, out[PROBABILITY])),
        business_cost=business_cost(y, out[DECISION].to_numpy(), cost),
    )


def lineage_of(pipeline: Any) -> Lineage:
    """The dataset and feature schema a scoring pipeline was trained on (recorded in the pipeline itself)."""
    return Lineage(str(pipeline.preprocessor.dataset.name), feature_schema(list(pipeline.feature_names)))


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def current_champion(
    client: MlflowClient,
    reg: RegistryConfig,
    challenger: Lineage,
    rows: pd.DataFrame,
    y: np.ndarray,
    cost: CostConfig,
) -> Champion | None:
    """The version holding the alias and its lineage, re-scored on `rows` when it is the challenger's lineage
    (another population is never scored: the gate does not compare them); None when no version holds it."""
    ref = find_champion(client, reg, tracking_uri(reg))
    if ref is None:
        return None
    try:
        pyfunc, pipeline = load_pipeline(ref.version_uri)
    except Exception as exc:  # an old or broken model: its tags are all that is known (the gate keeps it)
        tagged = Lineage(ref.tags.get(DATASET_TAG), ref.tags.get(SCHEMA_TAG))
        return Champion(ref.version, None, _failure(exc), tagged)
    lineage = lineage_of(pipeline)
    if mismatch(challenger, lineage) is not None:
        return Champion(ref.version, None, "trained on another population", lineage)
    try:
        return Champion(ref.version, scores_of(pyfunc, rows, y, cost), lineage=lineage)
    except Exception as exc:
        return Champion(ref.version, None, _failure(exc), lineage)


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """The train stage's run record -> a registered version (alias or not) + the catalog's outcome."""
    ds, reg, catalog = cfg.dataset, cfg.registry, Catalog(cfg.paths)
    record = catalog.train_run.read()
    setup_tracking(reg)
    client = MlflowClient()

    raw_test = split_rows(catalog, ds, cfg.features, "test")
    y = raw_test[ds.target].to_numpy(dtype="int64")
    rows = raw_test.drop(columns=[ds.target])
    pyfunc, pipeline = load_pipeline(record["model_uri"])
    challenger, lineage = scores_of(pyfunc, rows, y, cfg.evaluation.cost), lineage_of(pipeline)
    champion = current_champion(client, reg, lineage, rows, y, cfg.evaluation.cost)
    decision = gate(
        challenger, champion, reg.min_test_roc_auc, reg.cost_tolerance, lineage, reg.replace_incomparable
    )

    lineage_tags = {DATASET_TAG: lineage.dataset or "", SCHEMA_TAG: lineage.feature_schema or ""}
    version = mlflow.register_model(
        record["model_uri"], reg.model_name, tags={"run_id": record["run_id"], **lineage_tags}
    )
    tags = {
        "gate_decision": PROMOTED if decision.promote else REJECTED,
        "gate_reason": decision.reason,
        "test_roc_auc": f"{challenger.roc_auc:.6f}",
        "test_business_cost": f"{challenger.business_cost:.6f}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(reg.model_name, version.version, key, value)
        client.set_tag(record["run_id"], key, value)
    client.set_tag(record["run_id"], "registered_version", str(version.version))
    if decision.promote:
        client.set_registered_model_alias(reg.model_name, reg.alias, version.version)

    outcome = {
        "model_name": reg.model_name,
        "version": str(version.version),
        "run_id": record["run_id"],
        "alias": reg.alias,
        "promoted": decision.promote,
        "reason": decision.reason,
        "challenger": {**asdict(challenger), "lineage": asdict(lineage)},
        "champion_before": None
        if champion is None
        else {
            "version": champion.version,
            "scores": None if champion.scores is None else asdict(champion.scores),
            "lineage": None if champion.lineage is None else asdict(champion.lineage),
            "comparable": champion.scores is not None,
        },
        "champion_after": str(version.version)
        if decision.promote
        else (champion.version if champion else None),
    }
    with catalog.staging(NAME) as staging:
        catalog.outcome.write(outcome, staging)
    verdict = f"took @{reg.alias}" if decision.promote else f"registered without @{reg.alias}"
    log(f"{reg.model_name} version {version.version} {verdict}: {decision.reason}")
    return outcome


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/register.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv, failure_note=None)
