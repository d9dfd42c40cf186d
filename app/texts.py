"""The app's words: the decision, the reasons, the header and the model card as Markdown (a decision is
always written, never shown by colour alone)."""

from __future__ import annotations

from typing import Any

from credit_scoring.serving.counterfactual import Counterfactual
from credit_scoring.serving.results import KNOWN, NEW, PRODUCTION, WHAT_IF, ScoreResult
from credit_scoring.serving.service import ScoringService

SOURCE_TEXT = {
    PRODUCTION: "production client",
    KNOWN: "known client",
    NEW: "new client",
    WHAT_IF: "what-if",
}
METRIC_TEXT = {  # test metrics shown on the model card, in words
    "roc_auc": "ranking of risky before safe clients (0.5 = chance, 1 = perfect)",
    "gini": "2 x ROC AUC - 1",
    "pr_auc": "precision-recall area (defaulters are rare)",
    "business_cost": "cost per applicant with the cost weights below (lower is better)",
    "business_cost_ratio": "cost relative to refusing or accepting everybody (below 1 = useful)",
    "brier": "mean squared error of the probabilities (lower is better)",
    "precision": "share of refused clients who would have defaulted",
    "recall": "share of defaulters who are refused",
    "refusal_rate": "share of clients refused",
    "ks": "Kolmogorov-Smirnov separation of defaulters and others",
}
NEW_CLIENT_TEXT = (
    "**New client**: the form starts from a typical client (the median of past clients, the most frequent "
    "answer); fields left empty are missing; no credit history."
)
EMPTY_FORM_TEXT = "**New client**: every field is empty (missing) until you type it; no credit history."


def decision_markdown(result: ScoreResult) -> str:
    """The decision in words (symbol + text, never colour alone), for the client."""
    mark = "✖ REFUSED" if result.refused else "✔ GRANTED"
    who = f"Client {result.client_id}" if result.client_id is not None else "New client"
    lines = [
        f"## {mark}",
        f"**{who}** ({SOURCE_TEXT.get(result.source, result.source)}) · model version {result.model_version}",
        "",
        result.summary(),
    ]
    if result.outcome is not None:
        lines += ["", f"Known outcome of this past credit: **{result.outcome}**."]
    return "\n".join(lines)


def reasons_markdown(result: ScoreResult) -> str:
    if not result.reasons:
        return "### Main reasons\nThe model gives no reasons for this score."
    items = "\n".join(f"{i}. {r.text}" for i, r in enumerate(result.reasons, start=1))
    return f"### Main reasons\n{items}"


def change_markdown(result: ScoreResult, change: Counterfactual | None, none_text: str) -> str:
    """What would change the decision of a refused client (nothing for a granted one)."""
    if not result.refused:
        return ""
    body = change.sentence() if change is not None else none_text
    return f"### What would change the decision\n{body}"


def range_markdown(flags: list[tuple[str, str, str, str]]) -> str:
    """Fields typed outside the range of past clients (the model has not seen such values)."""
    if not flags:
        return ""
    items = "\n".join(
        f"- {label}: {value} (past clients: {low} to {high})" for label, value, low, high in flags
    )
    return f"\n\n**⚠ Outside the range of past clients** (the score is less reliable):\n{items}"


def what_if_markdown(client_id: int) -> str:
    return (
        f"**What-if on client {client_id}**: the form starts from the client's values; fields not in the "
        "form (and the credit history) stay the client's."
    )


def model_markdown(info: dict[str, Any]) -> str:
    """The champion's card as Markdown tables."""
    metrics = info.get("test_metrics") or {}
    rows = [k for k in METRIC_TEXT if k in metrics] or sorted(metrics)[:10]
    metric_lines = "\n".join(
        f"| {k.replace('_', ' ')} | {metrics[k]:.4f} | {METRIC_TEXT.get(k, '')} |" for k in rows
    )
    fn, fp = info.get("cost_false_negative"), info.get("cost_false_positive")
    cost = (
        f"missed default (false negative) = {fn:g}, refused good client (false positive) = {fp:g}"
        if (fn is not None and fp is not None)
        else "not recorded"
    )
    reload_text = (
        f"every {info['reload_seconds']:g} s" if info.get("reload_seconds") else "only with the button below"
    )
    error = (
        f"\n\n**Last check failed:** {info['last_alias_check_error']}"
        if info.get("last_alias_check_error")
        else ""
    )
    return f"""### Champion model
| item | value |
|---|---|
| Model | {info["model_name"]} @{info["alias"]} |
| Version | {info["version"]} |
| Run | {info["run_name"]} (`{info["run_id"]}`) |
| Model kind | {info["model_kind"] or "not recorded"} |
| Trained | {info["trained_at"]} |
| Registered | {info["registered_at"]} |
| Decision threshold | {info["threshold"]:.4f} (refused at or above) |
| Cost weights | {cost} |
| Gate | {info["gate_reason"] or "not recorded"} |
| Loaded by the app | {info["loaded_at"]} |
| Alias checked | {info["last_alias_check"]} ({reload_text}) |

### Test metrics (held-out test clients)
| metric | value | meaning |
|---|---|---|
{metric_lines or "| none recorded | | |"}{error}
"""


def header_markdown(service: ScoringService) -> str:
    card = service.champion.card
    return (
        f"# Credit decisions\nServing **{card.model_name} version {card.version}** (@{card.alias}) · "
        f"decision threshold {card.threshold:.1%} · trained {card.trained_at}"
    )
