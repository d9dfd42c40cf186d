"""The page: five tabs (client, context, what-if / new client, batch, model), what each event runs
(`app.handlers`), and the named API endpoints. Only components and wiring here; no scoring, no texts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from app import charts
from app.handlers import Handlers, guarded, register_api
from app.texts import header_markdown, model_markdown
from credit_scoring.serving.requests import FieldInfo
from credit_scoring.serving.results import KNOWN, PRODUCTION
from credit_scoring.serving.service import ScoringService

PRIVATE = {"api_visibility": "private"}  # page events are not API endpoints
WIDE = 320  # min_width of a column (px): columns stack on a narrow screen


def field_component(f: FieldInfo, value: Any = None) -> gr.components.Component:
    label = f"{f.label} ({f.unit})" if f.unit else f.label
    if f.kind == "category":
        return gr.Dropdown(choices=f.choices, label=label, allow_custom_value=True, value=value)
    if f.kind == "flag":
        return gr.Radio(choices=["yes", "no"], label=label, value=value)
    # a text box, not gr.Number: an empty Number shows 0, and an empty field must stay missing
    return gr.Textbox(label=label, value=value or "", placeholder="missing", max_lines=1)


def _decision_view(ids: dict[str, str] | None = None, placeholders: bool = False) -> SimpleNamespace:
    """Decision and reasons (text) beside the gauge, the reasons' chart below; `placeholders`: say what to
    do until a client is looked up."""
    ids = ids or {}
    prompt = {"value": "Look a client up to see the decision."} if placeholders else {}

    def blank(title: str) -> object:
        return charts.empty(title, "Look a client up.") if placeholders else None

    with gr.Row():
        with gr.Column(min_width=WIDE):
            decision = gr.Markdown(**prompt, elem_id=ids.get("decision"), elem_classes=["decision-box"])
            reasons_text = gr.Markdown(elem_id=ids.get("reasons"))
            change = gr.Markdown(elem_id=ids.get("change"))
        with gr.Column(min_width=WIDE):
            gauge = gr.Plot(
                blank("Probability of default"),
                label="Probability of default and threshold",
                elem_id=ids.get("gauge"),
            )
    reasons_plot = gr.Plot(
        blank("Main reasons for this score"), label="Main reasons (chart)", elem_id=ids.get("reasons_chart")
    )
    return SimpleNamespace(
        decision=decision, gauge=gauge, reasons_plot=reasons_plot, reasons=reasons_text, change=change
    )


def _client_tab(service: ScoringService) -> SimpleNamespace:
    examples = service.example_ids()
    with gr.Row(equal_height=False):
        client_id = gr.Textbox(
            label=f"Client ID ({service.champion.ds.id})",
            placeholder="e.g. " + str((examples[PRODUCTION] or examples[KNOWN] or [100002])[0]),
            elem_id="client-id",
            scale=3,
            min_width=220,
        )
        lookup = gr.Button("Look up the client", variant="primary", elem_id="lookup", scale=1, min_width=160)
    who = {PRODUCTION: "Production clients", KNOWN: "known clients (past credits)"}
    hints = [f"{who[s]}, e.g. {', '.join(map(str, examples[s]))}" for s in who if examples[s]]
    gr.Markdown("; ".join(hints) + ".")
    ids = {
        "decision": "decision",
        "reasons": "reasons",
        "gauge": "gauge",
        "reasons_chart": "reasons-chart",
        "change": "change",
    }
    view = _decision_view(ids, placeholders=True)
    return SimpleNamespace(client_id=client_id, lookup=lookup, view=view)


def _context_tab(service: ScoringService) -> SimpleNamespace:
    choices = service.choices()
    first = [c[1] for c in choices[:2]] + [None, None]
    importance = gr.Plot(charts.importance_chart(service.importance()), label="Global importance")
    feature = gr.Dropdown(choices=choices, value=first[0], label="Feature to compare")
    with gr.Row():
        with gr.Column(min_width=WIDE):
            dist_all = gr.Plot(label="All known clients")
        with gr.Column(min_width=WIDE):
            dist_similar = gr.Plot(label="Similar clients")
    with gr.Row():
        x = gr.Dropdown(choices=choices, value=first[0], label="Horizontal axis", min_width=220)
        y = gr.Dropdown(choices=choices, value=first[1], label="Vertical axis", min_width=220)
    bivariate = gr.Plot(label="Two features")
    return SimpleNamespace(
        importance=importance, feature=feature, x=x, y=y, outputs=[dist_all, dist_similar, bivariate]
    )


def _what_if_tab(handlers: Handlers) -> SimpleNamespace:
    base_id = gr.State(None)
    _, text, *start = handlers.typical()  # a new client starts from a typical one, never from zeros
    base_text = gr.Markdown(text)
    with gr.Row():
        fill = gr.Button("Start from the client looked up")
        typical = gr.Button("Typical new client")
        blank = gr.Button("Empty form (new client)")
    with gr.Row(elem_id="what-if-form"):
        inputs = [field_component(f, v) for f, v in zip(handlers.fields, start, strict=True)]
    score = gr.Button("Score these values", variant="primary", elem_id="score-form")
    return SimpleNamespace(
        base_id=base_id,
        base_text=base_text,
        fill=fill,
        typical=typical,
        blank=blank,
        inputs=inputs,
        score=score,
        view=_decision_view(),
    )


def _batch_tab(service: ScoringService) -> SimpleNamespace:
    gr.Markdown(
        f"Upload a CSV of applications with the columns of {service.champion.table.file} (comma-separated). "
        "The scored file adds the probability of default, the decision, the distance to the "
        f"threshold and the {service.serving.batch_reasons} main reasons of each row."
    )
    upload = gr.File(label="Applications (CSV)", file_types=[".csv"], type="filepath")
    run = gr.Button("Score the file", variant="primary")
    scored = gr.File(label="Scored file (download)")
    message = gr.Markdown()
    return SimpleNamespace(upload=upload, run=run, scored=scored, message=message)


def build_app(service: ScoringService) -> gr.Blocks:
    """The Blocks of the app (tabs: client, context, what-if / new client, batch, model) and its API."""
    handlers = Handlers(service)
    with gr.Blocks(title="Credit decisions", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        header = gr.Markdown(header_markdown(service), elem_id="header")
        current_id = gr.State(None)  # the client looked up (context charts, what-if base)
        with gr.Tabs():
            with gr.Tab("Client", id="client"):
                client = _client_tab(service)
            with gr.Tab("Context", id="context"):
                ctx = _context_tab(service)
            with gr.Tab("What-if / new client", id="what-if"):
                wi = _what_if_tab(handlers)
            with gr.Tab("Batch scoring", id="batch"):
                batch = _batch_tab(service)
            with gr.Tab("Model", id="model"):
                model_info = gr.Markdown(model_markdown(service.model_info()))
                check_now = gr.Button("Check for a new champion now")

        view = client.view
        client_outputs = [view.decision, view.gauge, view.reasons_plot, view.reasons, view.change, current_id]
        context_inputs = [current_id, ctx.feature, ctx.x, ctx.y]
        context = guarded(handlers.context)
        for trigger in (client.lookup.click, client.client_id.submit):
            trigger(guarded(handlers.lookup), client.client_id, client_outputs, **PRIVATE).then(
                context, context_inputs, ctx.outputs, **PRIVATE
            )
        for dropdown in (ctx.feature, ctx.x, ctx.y):
            dropdown.change(context, context_inputs, ctx.outputs, **PRIVATE)
        form = [wi.base_id, wi.base_text, *wi.inputs]
        wi.fill.click(guarded(handlers.fill), current_id, form, **PRIVATE)
        wi.typical.click(guarded(handlers.typical), None, form, **PRIVATE)
        wi.blank.click(guarded(handlers.blank), None, form, **PRIVATE)
        wi_outputs = [wi.view.decision, wi.view.gauge, wi.view.reasons_plot, wi.view.reasons, wi.view.change]
        wi.score.click(guarded(handlers.score_form), [wi.base_id, *wi.inputs], wi_outputs, **PRIVATE)
        batch.run.click(
            guarded(handlers.batch),
            batch.upload,
            [batch.scored, batch.message],
            api_name="score_batch",
            concurrency_limit=1,
        )
        check_now.click(guarded(handlers.check), None, [header, model_info], **PRIVATE)
        demo.load(guarded(handlers.page), None, [header, model_info, ctx.importance], **PRIVATE)
        demo.load(context, context_inputs, ctx.outputs, **PRIVATE)
        if service.serving.reload_seconds > 0:
            gr.Timer(service.serving.reload_seconds).tick(
                handlers.tick, None, [header, model_info], **PRIVATE
            )
        register_api(service)
    return demo
