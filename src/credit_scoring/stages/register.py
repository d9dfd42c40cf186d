"""Stage `register`: register the trained model, and move the champion alias only through the gate.

Gate (`gate`, a pure function): the challenger's test ROC AUC must reach `registry.min_test_roc_auc`, and
its business cost per applicant must be no worse than the current champion's on the same test rows (the
champion's pyfunc is loaded and re-scores the current raw test rows with its own threshold), within
`registry.cost_tolerance`. With no champion yet, the floor alone decides; a champion that cannot score the
rows is replaced. The version is registered either way; the decision and its reason are tagged on the
version and on the training run, and written to `paths.register/outcome.json`. The stage exits 0 both ways.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from credit_scoring.modelling.costs import business_cost
from credit_scoring.errors import InputDataError
from credit_scoring.scoring.pipeline import DECISION, PROBABILITY, split_rows
from credit_scoring.io.atomic import atomic_dir, write_json
from credit_scoring.config.modelling_loader import ModellingConfig
from credit_scoring.config.modelling import CostConfig
from credit_scoring.tracking.store import setup_tracking
from credit_scoring.stages.train import RUN_FILE

OUTCOME_FILE = "outcome.json"
PROMOTED, REJECTED = "promoted", "rejected"


@dataclass(frozen=True)
class Scores:
    """A model's test ROC AUC and business cost per applicant, on the same test rows."""

    roc_auc: float
    business_cost: float


@dataclass(frozen=True)
class Champion:
    version: str
    scores: Scores | None  # None: the champion could not score the rows
    error: str | None = None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def gate(
    challenger: Scores, champion: Champion | None, min_roc_auc: float, cost_tolerance: float
) -> GateDecision:
    """Whether the challenger takes the alias, and why."""
    if challenger.roc_auc < min_roc_auc:
        return GateDecision(
            False, f"test ROC AUC {challenger.roc_auc:.4f} is below the floor {min_roc_auc:.4f}"
        )
    if champion is None:
        return GateDecision(True, f"test ROC AUC {challenger.roc_auc:.4f} reaches the floor; no champion yet")
    if champion.scores is None:
        return GateDecision(
            True, f"champion version {champion.version} cannot score the current test rows ({champion.error})"
        )
    mine, theirs = challenger.business_cost, champion.scores.business_cost
    if mine > theirs + cost_tolerance:
        return GateDecision(
            False,
            f"business cost {mine:.4f} per applicant is worse than champion version {champion.version}'s "
            f"{theirs:.4f} on the same test rows",
        )
    return GateDecision(
        True,
        f"business cost {mine:.4f} per applicant is no worse than champion version {champion.version}'s "
        f"{theirs:.4f} on the same test rows (ROC AUC {challenger.roc_auc:.4f} vs {champion.scores.roc_auc:.4f})",
    )


def score_rows(model_uri: str, rows: pd.DataFrame, y: np.ndarray, cost: CostConfig) -> Scores:
    """ROC AUC and business cost of a logged pyfunc on raw rows (its own threshold)."""
    out = mlflow.pyfunc.load_model(model_uri).predict(rows)
    return Scores(
        roc_auc=float(roc_auc_score(y, out[PROBABILITY])),
        business_cost=business_cost(y, out[DECISION].to_numpy(), cost),
    )


def current_champion(
    client: MlflowClient, name: str, alias: str, rows: pd.DataFrame, y: np.ndarray, cost: CostConfig
) -> Champion | None:
    """The version holding the alias, re-scored on `rows`; None when no version holds it."""
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    try:
        scores = score_rows(f"models:/{name}@{alias}", rows, y, cost)
    except Exception as exc:  # any failure of an old model: it cannot be compared, so it is replaced
        return Champion(str(version.version), None, f"{type(exc).__name__}: {exc}"[:300])
    return Champion(str(version.version), scores)


def register_stage(cfg: ModellingConfig, log=print) -> dict[str, Any]:
    """Run the stage: paths.train/run.json -> a registered version (alias or not) + paths.register/outcome.json."""
    ds, reg = cfg.dataset, cfg.registry
    run_path = Path(cfg.paths.train) / RUN_FILE
    if not run_path.is_file():
        raise InputDataError(f"{run_path}: not found (run the train stage first)")
    record = json.loads(run_path.read_text(encoding="utf-8"))
    setup_tracking(reg)
    client = MlflowClient()

    raw_test = split_rows(cfg.paths.ingest, cfg.paths.split, cfg.paths.merge, ds, cfg.features, "test")
    y = raw_test[ds.target].to_numpy(dtype="int64")
    rows = raw_test.drop(columns=[ds.target])
    challenger = score_rows(record["model_uri"], rows, y, cfg.evaluation.cost)
    champion = current_champion(client, reg.model_name, reg.alias, rows, y, cfg.evaluation.cost)
    decision = gate(challenger, champion, reg.min_test_roc_auc, reg.cost_tolerance)

    version = mlflow.register_model(record["model_uri"], reg.model_name, tags={"run_id": record["run_id"]})
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
        "challenger": asdict(challenger),
        "champion_before": None
        if champion is None
        else {
            "version": champion.version,
            "scores": None if champion.scores is None else asdict(champion.scores),
        },
        "champion_after": str(version.version)
        if decision.promote
        else (champion.version if champion else None),
    }
    with atomic_dir(Path(cfg.paths.register)) as staging:
        write_json(outcome, staging / OUTCOME_FILE)
    verdict = f"took @{reg.alias}" if decision.promote else f"registered without @{reg.alias}"
    log(f"{reg.model_name} version {version.version} {verdict}: {decision.reason}")
    return outcome
