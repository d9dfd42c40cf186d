"""Stage `register`: register the trained model once, decide the gate once, and record the live aliases.

The champion's pyfunc re-scores the current raw test rows with its own threshold, so that challenger and
champion are compared on the same rows: a paired bootstrap of the cost and ROC AUC differences
(`credit_scoring.modelling.paired`) feeds the gate (`credit_scoring.modelling.gate`). A version that passes
takes `registry.challenger_alias`; it takes `registry.alias` (the champion) only with `registry.auto_promote`
(the embedded demo) — otherwise a person does, with `credit-scoring promote`. Every alias move is appended to
the registry's history (`tracking.history`; the monitor stage and `promote` export it to
reports/champion_history.{jsonl,html}).

Honest with DVC (the stage runs on every `dvc repro`: `always_changed`): a train run already registered
reuses its version, and a version whose decision is recorded with the same gate settings (version tag
`gate_outcome`, written last) is not decided again, so a rerun changes nothing in the registry and writes the
same outcome.json; a version without a decision (a killed register) or decided under other gate settings is
decided (again) on the rerun, never against itself. Deciding and moving happen under the registry's lock of
the model's aliases (`tracking.registry_lock`): two registers racing on one server run one after the other,
so the second is compared with the champion the first left, the one it may replace. champion.json (the versions and run keys holding
the aliases, byte-deterministic) changes exactly when an alias moved, including through `promote`, and the
monitor stage depends on it. The stage exits 0 whether the version passes or not.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from credit_scoring.config import Config
from credit_scoring.config.modelling import CostConfig, RegistryConfig
from credit_scoring.features.rows import split_rows
from credit_scoring.io.catalog import Catalog
from credit_scoring.modelling.costs import business_cost, row_costs
from credit_scoring.modelling.gate import Champion, Lineage, Scores, feature_schema, gate, mismatch
from credit_scoring.modelling.paired import Comparison, auc, paired_bootstrap
from credit_scoring.scoring.pipeline import DECISION, PROBABILITY
from credit_scoring.stages.runner import Log, run_main
from credit_scoring.tracking.champion import find_champion, load_pipeline
from credit_scoring.tracking.history import alias_holder, move_alias, system_user
from credit_scoring.tracking.registry_lock import registry_lock
from credit_scoring.tracking.store import setup_tracking, tracking_uri
from credit_scoring.tracking.train_run import RUN_KEY_TAG, TrainRun, find_train_run

NAME = "register"
PROMOTED, REJECTED = "promoted", "rejected"
DATASET_TAG, SCHEMA_TAG = "dataset", "feature_schema"  # lineage tags of every registered version
OUTCOME_TAG = "gate_outcome"  # the whole decision, as JSON: written last, so its absence means undecided


def predictions(pyfunc: Any, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(probability, decision) of a logged pyfunc on raw rows (its own threshold)."""
    out = pyfunc.predict(rows)
    return out[PROBABILITY].to_numpy(dtype="float64"), out[DECISION].to_numpy()


def scores_of(p: np.ndarray, decision: np.ndarray, y: np.ndarray, cost: CostConfig) -> Scores:
    """ROC AUC and business cost per applicant of one model's predictions."""
    return Scores(roc_auc=auc(y, p), business_cost=business_cost(y, decision, cost))


def lineage_of(pipeline: Any) -> Lineage:
    """The dataset and feature schema a scoring pipeline was trained on (recorded in the pipeline itself)."""
    return Lineage(str(pipeline.preprocessor.dataset.name), feature_schema(list(pipeline.feature_names)))


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def current_champion(
    client: MlflowClient, reg: RegistryConfig, challenger: Lineage, rows: pd.DataFrame
) -> tuple[Champion | None, tuple[np.ndarray, np.ndarray] | None]:
    """The version holding the alias, its lineage and its predictions on `rows` when it is the challenger's
    lineage (another population is never scored: the gate does not compare them); None when none holds it."""
    ref = find_champion(client, reg, tracking_uri(reg))
    if ref is None:
        return None, None
    try:
        pyfunc, pipeline = load_pipeline(ref.version_uri)
    except Exception as exc:  # an old or broken model: its tags are all that is known (the gate keeps it)
        tagged = Lineage(ref.tags.get(DATASET_TAG), ref.tags.get(SCHEMA_TAG))
        return Champion(ref.version, None, _failure(exc), tagged), None
    lineage = lineage_of(pipeline)
    if mismatch(challenger, lineage) is not None:
        return Champion(ref.version, None, "trained on another population", lineage), None
    try:
        return Champion(ref.version, None, lineage=lineage), predictions(pyfunc, rows)
    except Exception as exc:
        return Champion(ref.version, None, _failure(exc), lineage), None


def registered_version(client: MlflowClient, name: str, run_id: str) -> Any | None:
    """The version already registered from this train run (the oldest), None when there is none."""
    found = client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
    return min(found, key=lambda mv: int(mv.version)) if found else None


def live_aliases(client: MlflowClient, reg: RegistryConfig) -> dict[str, Any]:
    """The versions (and their run keys) holding the champion and challenger aliases: champion.json."""
    out: dict[str, Any] = {"model_name": reg.model_name}
    for alias in (reg.alias, reg.challenger_alias):
        version = alias_holder(client, reg.model_name, alias)
        tags = {} if version is None else client.get_model_version(reg.model_name, version).tags or {}
        out[alias] = None if version is None else {"version": version, "run_key": tags.get(RUN_KEY_TAG)}
    return out


def gate_figures(outcome: dict[str, Any]) -> dict[str, Any]:
    """What a history line keeps of a gate decision."""
    keys = ("version", "promoted", "reason", "challenger", "comparison")
    return {k: outcome.get(k) for k in keys} | {
        "champion_before": (outcome.get("champion_before") or {}).get("version")
    }


def gate_settings(cfg: Config) -> dict[str, Any]:
    """What the decision depends on besides the models: a version is decided again when these change."""
    reg = cfg.registry
    keys = ("min_test_roc_auc", "cost_tolerance", "replace_incomparable", "confidence", "bootstrap_resamples",
            "bootstrap_seed", "auto_promote", "alias", "challenger_alias")  # fmt: skip
    return {k: getattr(reg, k) for k in keys} | {"cost": asdict(cfg.evaluation.cost)}


def decided(existing: Any | None, cfg: Config) -> dict[str, Any] | None:
    """The recorded outcome of a version, when it was decided with the same gate settings."""
    text = None if existing is None else (existing.tags or {}).get(OUTCOME_TAG)
    outcome = None if text is None else json.loads(text)
    settings = json.loads(json.dumps(gate_settings(cfg), sort_keys=True))
    return outcome if outcome is not None and outcome.get("gate_settings") == settings else None


def decide(cfg: Config, client: MlflowClient, record: dict[str, Any], train: TrainRun) -> dict[str, Any]:
    """Score the challenger and the champion on the same test rows and apply the gate; the outcome without
    the version (not registered yet)."""
    ds, reg, cost = cfg.dataset, cfg.registry, cfg.evaluation.cost
    raw_test = split_rows(Catalog(cfg.paths), ds, cfg.features, "test")
    y = raw_test[ds.target].to_numpy(dtype="int64")
    rows = raw_test.drop(columns=[ds.target])
    pyfunc, pipeline = load_pipeline(train.model_uri)
    p, decision_rows = predictions(pyfunc, rows)
    challenger, lineage = scores_of(p, decision_rows, y, cost), lineage_of(pipeline)
    champion, theirs = current_champion(client, reg, lineage, rows)
    mine = registered_version(client, reg.model_name, train.run_id)
    if champion is not None and mine is not None and str(mine.version) == champion.version:
        champion, theirs = None, None  # decided again (new settings): never against itself
    comparison: Comparison | None = None
    if champion is not None and theirs is not None:
        champion = Champion(champion.version, scores_of(*theirs, y, cost), lineage=champion.lineage)
        comparison = paired_bootstrap(
            y, row_costs(y, decision_rows, cost), row_costs(y, theirs[1], cost), p, theirs[0],
            confidence=reg.confidence, resamples=reg.bootstrap_resamples, seed=reg.bootstrap_seed,
        )  # fmt: skip
    verdict = gate(
        challenger, champion, reg.min_test_roc_auc, reg.cost_tolerance, lineage, reg.replace_incomparable,
        comparison,
    )  # fmt: skip
    return {
        "model_name": reg.model_name,
        "run_key": record["run_key"],  # not the MLflow run id: outcome.json is the same on every machine
        "alias": reg.alias,
        "challenger_alias": reg.challenger_alias,
        "gate_settings": gate_settings(cfg),
        "promoted": verdict.promote,  # passed the gate (took the challenger alias)
        "reason": verdict.reason,
        "challenger": {**asdict(challenger), "lineage": asdict(lineage)},
        "comparison": None if comparison is None else asdict(comparison),
        "champion_before": None
        if champion is None
        else {
            "version": champion.version,
            "scores": None if champion.scores is None else asdict(champion.scores),
            "lineage": None if champion.lineage is None else asdict(champion.lineage),
            "comparable": champion.scores is not None,
        },
    }


def record_decision(
    client: MlflowClient, reg: RegistryConfig, version: str, run_id: str, outcome: dict[str, Any]
) -> None:
    """The decision as version and run tags, the whole outcome last (its presence means: decided)."""
    challenger = outcome["challenger"]
    tags = {
        "gate_decision": PROMOTED if outcome["promoted"] else REJECTED,
        "gate_reason": outcome["reason"],
        "test_roc_auc": f"{challenger['roc_auc']:.6f}",
        "test_business_cost": f"{challenger['business_cost']:.6f}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(reg.model_name, version, key, value)
        client.set_tag(run_id, key, value)
    client.set_tag(run_id, "registered_version", version)
    client.set_model_version_tag(reg.model_name, version, OUTCOME_TAG, json.dumps(outcome, sort_keys=True))


def decide_and_move(
    cfg: Config, client: MlflowClient, record: dict[str, Any], train: TrainRun, log: Log
) -> dict[str, Any]:
    """Register the run's version (once), decide the gate (once per gate settings) and move the aliases; the
    outcome. Called under the registry lock: the champion it compares with is the one it replaces."""
    reg = cfg.registry
    existing = registered_version(client, reg.model_name, train.run_id)
    if (before := decided(existing, cfg)) is not None:  # a racer registering the same run decided it
        log(f"{reg.model_name} version {before['version']} (run {train.run_id}) was decided before: "
            f"{before['reason']}")  # fmt: skip
        return before
    outcome = decide(cfg, client, record, train)
    if existing is None:
        lineage = outcome["challenger"]["lineage"]
        existing = mlflow.register_model(
            train.model_uri, reg.model_name,
            tags={"run_id": train.run_id, RUN_KEY_TAG: record["run_key"], DATASET_TAG: lineage["dataset"] or "",
                  SCHEMA_TAG: lineage["feature_schema"] or ""},
        )  # fmt: skip
    else:
        log(f"{reg.model_name} version {existing.version}: no decision with these gate settings (new "
            "settings, or an interrupted register): deciding now")  # fmt: skip
    # key order as when read back from the tag: a rerun writes the same bytes
    outcome = json.loads(json.dumps({"version": str(existing.version), **outcome}, sort_keys=True))
    record_decision(client, reg, outcome["version"], train.run_id, outcome)
    if outcome["promoted"]:
        figures, who = gate_figures(outcome), f"{system_user()} (register)"
        if alias_holder(client, reg.model_name, reg.challenger_alias) != outcome["version"]:
            move_alias(client, reg.model_name, reg.challenger_alias, outcome["version"], who=who,
                       why=outcome["reason"], gate=figures)  # fmt: skip
        if reg.auto_promote and alias_holder(client, reg.model_name, reg.alias) != outcome["version"]:
            move_alias(client, reg.model_name, reg.alias, outcome["version"],
                       who=f"{system_user()} (registry.auto_promote)", why=outcome["reason"], gate=figures)  # fmt: skip
    verdict = (
        f"took @{reg.alias}" if outcome["promoted"] and reg.auto_promote
        else f"took @{reg.challenger_alias} (credit-scoring promote makes it @{reg.alias})" if outcome["promoted"]
        else f"registered without @{reg.challenger_alias}"
    )  # fmt: skip
    log(f"{reg.model_name} version {outcome['version']} {verdict}: {outcome['reason']}")
    return outcome


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """The train stage's run record -> a registered version (decided once) + outcome.json, champion.json."""
    reg, catalog = cfg.registry, Catalog(cfg.paths)
    record = catalog.train_run.read()
    setup_tracking(reg)
    client = MlflowClient()
    train = find_train_run(client, reg.experiment, record["run_key"])

    existing = registered_version(client, reg.model_name, train.run_id)
    if (outcome := decided(existing, cfg)) is not None:  # a rerun: nothing moves, no lock taken
        log(f"{reg.model_name} version {outcome['version']} (run {train.run_id}) was decided before: "
            f"{outcome['reason']}")  # fmt: skip
        aliases = live_aliases(client, reg)
    else:
        with registry_lock(client, reg, log):  # two registers racing on one server: one after the other
            outcome = decide_and_move(cfg, client, record, train, log)
            aliases = live_aliases(client, reg)  # as this stage left them
    with catalog.staging(NAME) as staging:
        catalog.outcome.write(outcome, staging)
        catalog.live_aliases.write(aliases, staging)
    return outcome


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/register.py [--params FILE] [KEY=VALUE ...]``."""
    return run_main(NAME, run, argv, failure_note=None)
