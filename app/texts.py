"""The app's words: the decision, the reasons, the header and the model card as Markdown (a decision is
always written, never shown by colour alone)."""

from __future__ import annotations

from typing import Any

from app.locales import EN, number, percent, t
from credit_scoring.serving.counterfactual import Counterfactual
from credit_scoring.serving.explain import Labeller
from credit_scoring.serving.results import ScoreResult
from credit_scoring.serving.service import ScoringService

METRICS = (  # test metrics shown on the model card (their meaning: `metric_<name>` of app.locales)
    "roc_auc",
    "gini",
    "pr_auc",
    "business_cost",
    "business_cost_ratio",
    "brier",
    "precision",
    "recall",
    "refusal_rate",
    "ks",
)


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


def model_markdown(info: dict[str, Any], lang: str = "en") -> str:
    """The champion's card as Markdown tables, in `lang`."""
    metrics = info.get("test_metrics") or {}
    rows = [k for k in METRICS if k in metrics] or sorted(metrics)[:10]
    metric_lines = "\n".join(
        f"| {k.replace('_', ' ')} | {number(metrics[k], lang, 4)} | "
        f"{t(lang, f'metric_{k}') if k in METRICS else ''} |"
        for k in rows
    )
    missing = t(lang, "not_recorded")
    fn, fp = info.get("cost_false_negative"), info.get("cost_false_positive")
    cost = (
        t(lang, "card_costs_text", fn=f"{fn:g}", fp=f"{fp:g}")
        if (fn is not None and fp is not None)
        else missing
    )
    seconds = info.get("reload_seconds")
    reload_text = t(lang, "card_every", s=f"{seconds:g}") if seconds else t(lang, "card_button_only")
    error = info.get("last_alias_check_error")
    error_text = f"\n\n**{t(lang, 'card_check_failed')}:** {error}" if error else ""
    items = [
        ("card_model", f"{info['model_name']} @{info['alias']}"),
        ("card_version", info["version"]),
        ("card_run", f"{info['run_name']} (`{info['run_id']}`)"),
        ("card_kind", info["model_kind"] or missing),
        ("card_trained", info["trained_at"]),
        ("card_registered", info["registered_at"]),
        ("card_threshold", f"{number(info['threshold'], lang, 4)} ({t(lang, 'card_threshold_note')})"),
        ("card_costs", cost),
        ("card_gate", info["gate_reason"] or missing),
        ("card_loaded", info["loaded_at"]),
        ("card_checked", f"{info['last_alias_check']} ({reload_text})"),
    ]
    card = "\n".join(f"| {t(lang, key)} | {value} |" for key, value in items)
    none = f"| {t(lang, 'card_none')} | | |"
    return f"""### {t(lang, "card_title")}
| {t(lang, "card_item")} | {t(lang, "card_value")} |
|---|---|
{card}

### {t(lang, "card_metrics")}
| {t(lang, "card_metric")} | {t(lang, "card_value")} | {t(lang, "card_meaning")} |
|---|---|---|
{metric_lines or none}{error_text}
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
