"""Promotion with approval: a person moves the champion alias to a registered version, and the move is
recorded in the registry's history (`tracking.history`).

Refused, with one line saying why: an unknown version; a version of another lineage (trained on another
dataset than the configuration's, or with another feature schema than the champion's, unless
`registry.replace_incomparable`); a version with no gate decision; a version the gate rejected (unless
`force`, whose line in the history says so); the version that already holds the alias; and, with
`registry.four_eyes`, an approver who is the author of the version's training run (its `mlflow.user` tag).
Rolling back is promoting an earlier version: its own history line. When a version held the alias before,
the line keeps the migration matrix of the test split from its grades to the promoted version's (`migration`,
e.g. `tracking.migration.promotion_migration`); when it cannot be computed (no test split here, a model
that cannot score), the line records why and the promotion goes ahead: a rollback never waits on it.
The checks and the move happen under the registry lock of the aliases (`tracking.registry_lock`), as in the
register stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from credit_scoring.config.modelling import RegistryConfig
from credit_scoring.errors import CreditScoringError
from credit_scoring.tracking.history import alias_holder, move_alias
from credit_scoring.tracking.registry_lock import registry_lock

AUTHOR_TAG = "mlflow.user"  # the training run's author, set by MLflow


class PromotionRefused(CreditScoringError):
    """A promotion that the rules forbid; the message says which rule."""


def _version(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException:
        versions = sorted(int(mv.version) for mv in client.search_model_versions(f"name='{name}'"))
        known = f"versions {versions[0]}..{versions[-1]}" if versions else "no version"
        raise PromotionRefused(f"model {name!r} has no version {version} ({known})") from None


def author_of(client: Any, run_id: str) -> str | None:
    """Who trained a run (its mlflow.user tag), None when unknown."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id).data.tags.get(AUTHOR_TAG)
    except MlflowException:
        return None


def check_lineage(client: Any, reg: RegistryConfig, mv: Any, dataset: str, holder: str | None) -> None:
    """Refuse a version trained on another dataset, or with another feature schema than the champion's."""
    tags, version = mv.tags or {}, mv.version
    trained_on = tags.get("dataset")
    if trained_on and trained_on != dataset:
        raise PromotionRefused(
            f"version {version} of {reg.model_name!r} was trained on dataset {trained_on!r}, this configuration "
            f"is {dataset!r}: another lineage"
        )
    if holder is None or reg.replace_incomparable:
        return
    theirs = (client.get_model_version(reg.model_name, holder).tags or {}).get("feature_schema")
    mine = tags.get("feature_schema")
    if mine and theirs and mine != theirs:
        raise PromotionRefused(
            f"version {version} has another feature schema than champion version {holder} ({mine} vs "
            f"{theirs}): another lineage (to replace it: registry.replace_incomparable=true)"
        )


def promote(
    client: Any,
    reg: RegistryConfig,
    version: str,
    *,
    approver: str,
    reason: str,
    dataset: str,
    force: bool = False,
    migration: Callable[[str, str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Move `reg.alias` to `version` after the checks above; the history line written (with
    `migration(champion version, version)` when a version held the alias)."""
    version, approver, reason = str(version).strip(), approver.strip(), reason.strip()
    if not approver or not reason:
        raise PromotionRefused("--approver and --reason must not be empty")
    with registry_lock(client, reg):  # the holder checked is the one replaced (a racing register waits)
        mv = _version(client, reg.model_name, version)
        holder = alias_holder(client, reg.model_name, reg.alias)
        if holder == version:
            raise PromotionRefused(f"version {version} of {reg.model_name!r} already holds @{reg.alias}")
        check_lineage(client, reg, mv, dataset, holder)
        tags = mv.tags or {}
        decision = tags.get("gate_decision")
        if decision is None:
            raise PromotionRefused(
                f"version {version} has no gate decision: run the register stage (dvc repro)"
            )
        if decision != "promoted" and not force:
            raise PromotionRefused(
                f"version {version} failed the gate ({tags.get('gate_reason', 'no reason recorded')}); "
                "--force promotes it anyway, with the reason in the history"
            )
        author = author_of(client, str(mv.run_id))
        if reg.four_eyes and author and author.casefold() == approver.casefold():
            raise PromotionRefused(
                f"four-eyes rule: {approver!r} trained version {version} (run {mv.run_id}) and cannot approve it; "
                "another person must (registry.four_eyes)"
            )
        outcome = json.loads(tags.get("gate_outcome", "{}"))
        gate = {
            "decision": decision,
            "reason": tags.get("gate_reason"),
            "test_roc_auc": tags.get("test_roc_auc"),
            "test_business_cost": tags.get("test_business_cost"),
            "comparison": outcome.get("comparison"),
            "author": author,
            "forced": force and decision != "promoted",
        }
        matrix = (
            None if holder is None or migration is None else migration_or_reason(migration, holder, version)
        )
        return move_alias(client, reg.model_name, reg.alias, version, who=approver, why=reason, gate=gate,
                          migration=matrix)  # fmt: skip


def migration_or_reason(
    compute: Callable[[str, str], dict[str, Any]], holder: str, version: str
) -> dict[str, Any]:
    """The migration record, or why there is none (the promotion is not refused for it)."""
    try:
        return compute(holder, version)
    except Exception as exc:  # no test split here, a model that cannot load or score: recorded, not fatal
        return {"from_version": holder, "to_version": version, "error": f"{type(exc).__name__}: {exc}"[:300]}
