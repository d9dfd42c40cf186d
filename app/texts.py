"""The app's words: the decision, the reasons, the header and the model card as Markdown (a decision is
always written, never shown by colour alone)."""

from __future__ import annotations

from typing import Any

from app.locales import EN, number, percent, t
from credit_scoring.serving.counterfactual import Counterfactual
from credit_scoring.serving.explain import Labeller
from credit_scoring.serving.results import ScoreResult
from credit_scoring.serving.service import ScoringService

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


def source_text(source: str, lang: str) -> str:
    return t(lang, f"source_{source}") if f"source_{source}" in EN else source


def summary(result: ScoreResult, lang: str = "en") -> str:
    """One sentence for the client: decision, probability and distance to the threshold in points."""
    return t(
        lang,
        "summary",
        decision=t(lang, result.decision),
        p=percent(result.probability, lang),
        points=number(abs(result.distance) * 100, lang, 1),
        side=t(lang, "above" if result.distance >= 0 else "below"),
        threshold=percent(result.threshold, lang),
    )


def decision_markdown(result: ScoreResult, lang: str = "en") -> str:
    """The decision in words (symbol + text, never colour alone), for the client."""
    mark = t(lang, "refused_mark" if result.refused else "granted_mark")
    who = t(lang, "client", id=result.client_id) if result.client_id is not None else t(lang, "new_client")
    lines = [
        f"## {mark}",
        f"**{who}** ({source_text(result.source, lang)}) · {t(lang, 'model_version', version=result.model_version)}",
        "",
        summary(result, lang),
    ]
    if result.outcome is not None:
        lines += ["", t(lang, "outcome", outcome=t(lang, f"outcome_{result.outcome}"))]
    return "\n".join(lines)


def reasons_markdown(result: ScoreResult, lang: str = "en") -> str:
    title = f"### {t(lang, 'reasons_title')}"
    if not result.reasons:
        return f"{title}\n{t(lang, 'no_reasons')}"
    items = "\n".join(f"{i}. {r.text}" for i, r in enumerate(result.reasons, start=1))
    return f"{title}\n{items}"


def change_sentence(change: Counterfactual, labeller: Labeller, lang: str = "en") -> str:
    """'With a credit amount of 180,000 instead of 240,000, the application would be granted (...)'."""
    items = t(lang, "change_and").join(
        t(
            lang,
            "change_item",
            label=_lower(labeller.label(c.column)) if lang == "en" else labeller.label(c.column),
            after=labeller.format(c.column, c.after),
            before=labeller.format(c.column, c.before),
        )
        for c in change.changes
    )
    note = ""
    if change.term is not None:
        before, after = change.term
        note = t(lang, "term_note", after=number(after, lang, 1), before=number(before, lang, 1))
    return t(lang, "change_sentence", changes=items, note=note, p=percent(change.probability, lang))


def no_change_text(fields: list[str], labeller: Labeller, lang: str = "en") -> str:
    return t(lang, "no_change", fields=", ".join(_lower(labeller.label(c)) for c in fields))


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def change_block(result: ScoreResult, sentence: str, lang: str = "en") -> str:
    if not result.refused or not sentence:
        return ""
    return f"### {t(lang, 'change_title')}\n{sentence}"


def range_markdown(flags: list[tuple[str, str, str, str]], lang: str = "en") -> str:
    """Fields typed outside the range of past clients (the model has not seen such values)."""
    if not flags:
        return ""
    items = "\n".join(
        "- " + t(lang, "out_of_range_item", label=label, value=value, low=low, high=high)
        for label, value, low, high in flags
    )
    return f"\n\n{t(lang, 'out_of_range')}\n{items}"


def what_if_markdown(client_id: int, lang: str = "en") -> str:
    return t(lang, "what_if_text", id=client_id)


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


def header_markdown(service: ScoringService, lang: str = "en") -> str:
    card = service.champion.card
    return t(
        lang,
        "header",
        model=card.model_name,
        version=card.version,
        alias=card.alias,
        threshold=percent(card.threshold, lang),
        trained=card.trained_at,
    )
