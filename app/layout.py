"""The page: five tabs (client, context, what-if / new client, batch, model), what each event runs
(`app.handlers`), and the named API endpoints. Only components and wiring here; no scoring, no texts.

Languages: the labels are `gr.I18n` keys (`I18N`, the dictionaries of `app.locales`), so the page first
paints in the browser's language; the language switch (`#language`, set from the browser's locale when the
page loads) re-labels every component (`Labels.relabel`) and re-renders the texts and charts the handlers
build (they take the language as an input)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr

from app import charts
from app.handlers import Handlers, guarded, register_api
from app.locales import EN, FR, LANGUAGES, t
from app.points import points_view
from app.texts import header_markdown, model_markdown
from credit_scoring.serving.explain import Labeller
from credit_scoring.serving.requests import NO, YES, FieldInfo
from credit_scoring.serving.results import KNOWN, PRODUCTION
from credit_scoring.serving.service import ScoringService

PRIVATE = {"api_visibility": "private"}  # page events are not API endpoints
WIDE = 320  # min_width of a column (px): columns stack on a narrow screen
I18N = gr.I18n(en=EN, fr=FR)
BROWSER_LANGUAGE = "() => ((navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en')"


class Labels:
    """The translatable words of the components: each (component, updates(lang)), the attributes to set."""

    def __init__(self) -> None:
        self.items: list[tuple[gr.components.Component | gr.Tab, Callable[[str], dict[str, Any]]]] = []

    def __call__(self, component: Any, key: str | Callable[[str], Any], attr: str = "label") -> Any:
        words = key if callable(key) else (lambda lang, k=key: t(lang, k))
        return self.many(component, lambda lang: {attr: words(lang)})

    def many(self, component: Any, updates: Callable[[str], dict[str, Any]]) -> Any:
        """Several attributes of one component (e.g. a field's label and its choices' words)."""
        self.items.append((component, updates))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.items]

    def relabel(self, lang: str) -> list[Any]:
        return [gr.update(**updates(lang)) for _, updates in self.items]


def field_words(f: FieldInfo, labeller: Labeller, lang: str) -> dict[str, Any]:
    """A what-if field's label (and its choices' words) in the labeller's language; the values stay codes."""
    label = labeller.label(f.column)
    unit = labeller.units.get(f.unit, f.unit) if f.unit else ""
    words: dict[str, Any] = {"label": f"{label} ({unit})" if unit else label}
    if f.kind == "category":
        words["choices"] = [(labeller.level(f.column, code), code) for code in f.choices]
    elif f.kind == "flag":
        words["choices"] = [(t(lang, YES), YES), (t(lang, NO), NO)]
    return words


def field_component(
    f: FieldInfo, labels: Labels, service: ScoringService, value: Any = None
) -> gr.components.Component:
    """A what-if field (its words follow the language switch)."""
    words = field_words(f, service.labeller("en"), "en")
    if f.kind == "category":
        component: Any = gr.Dropdown(**words, allow_custom_value=True, value=value)
    elif f.kind == "flag":
        component = gr.Radio(**words, value=value)
    else:  # a text box, not gr.Number: an empty Number shows 0, and an empty field must stay missing
        component = gr.Textbox(
            **words, value=value or "", placeholder=I18N("missing_placeholder"), max_lines=1
        )
    return labels.many(component, lambda lang: field_words(f, service.labeller(lang), lang))


def _decision_view(
    labels: Labels, ids: dict[str, str] | None = None, placeholders: bool = False
) -> SimpleNamespace:
    """Decision and reasons (text) beside the gauge, the reasons' chart below; `placeholders`: say what to
    do until a client is looked up."""
    ids = ids or {}
    prompt = {"value": I18N("look_up_prompt")} if placeholders else {}

    def blank(key: str) -> object:
        return charts.empty(t("en", key), t("en", "look_up_short")) if placeholders else None

    with gr.Row():
        with gr.Column(min_width=WIDE):
            decision = gr.Markdown(**prompt, elem_id=ids.get("decision"), elem_classes=["decision-box"])
            reasons_text = gr.Markdown(elem_id=ids.get("reasons"))
            change = gr.Markdown(elem_id=ids.get("change"))
        with gr.Column(min_width=WIDE):
            gauge = labels(
                gr.Plot(blank("chart_gauge"), label=I18N("gauge_label"), elem_id=ids.get("gauge")),
                "gauge_label",
            )
    reasons_plot = labels(
        gr.Plot(blank("chart_reasons"), label=I18N("reasons_chart_label"), elem_id=ids.get("reasons_chart")),
        "reasons_chart_label",
    )
    points = points_view()  # a scorecard champion's points breakdown (hidden otherwise)
    return SimpleNamespace(
        decision=decision,
        gauge=gauge,
        reasons_plot=reasons_plot,
        reasons=reasons_text,
        change=change,
        points=points,
    )


def _client_tab(service: ScoringService, labels: Labels) -> SimpleNamespace:
    examples = service.example_ids()
    id_name = service.champion.ds.id
    with gr.Row(equal_height=False):
        client_id = labels(
            gr.Textbox(
                label=f"Client ID ({id_name})",
                placeholder="e.g. " + str((examples[PRODUCTION] or examples[KNOWN] or [100002])[0]),
                elem_id="client-id",
                scale=3,
                min_width=220,
            ),
            lambda lang: f"{t(lang, 'client_id')} ({id_name})",
        )
        lookup = labels(
            gr.Button(I18N("lookup"), variant="primary", elem_id="lookup", scale=1, min_width=160),
            "lookup",
            "value",
        )

    def hints(lang: str) -> str:
        who = {PRODUCTION: "production_clients", KNOWN: "known_clients"}
        parts = [f"{t(lang, who[s])}: {', '.join(map(str, examples[s]))}" for s in who if examples[s]]
        return t(lang, "examples", hints="; ".join(parts))

    labels(gr.Markdown(hints("en")), hints, "value")
    ids = {
        "decision": "decision",
        "reasons": "reasons",
        "gauge": "gauge",
        "reasons_chart": "reasons-chart",
        "change": "change",
    }
    view = _decision_view(labels, ids, placeholders=True)
    with gr.Row():
        download = labels(gr.Button(I18N("download"), elem_id="download", min_width=160), "download", "value")
        letter = labels(
            gr.File(label=I18N("letter_files"), elem_id="letter", file_count="multiple"), "letter_files"
        )
    return SimpleNamespace(client_id=client_id, lookup=lookup, view=view, download=download, letter=letter)


def _context_tab(service: ScoringService, labels: Labels) -> SimpleNamespace:
    features = [f for _, f in service.choices()]  # numeric features, most important first

    def choices(lang: str) -> list[tuple[str, str]]:
        labeller = service.labeller(lang)
        return [(labeller.label(f), f) for f in features]

    def dropdown(key: str, value: str | None, **kwargs: Any) -> gr.Dropdown:
        component = gr.Dropdown(choices=choices("en"), value=value, label=I18N(key), **kwargs)
        return labels.many(component, lambda lang: {"label": t(lang, key), "choices": choices(lang)})

    first = [*features[:2], None, None]
    importance = labels(
        gr.Plot(charts.importance_chart(service.importance()), label=I18N("importance_label")),
        "importance_label",
    )
    feature = dropdown("feature_to_compare", first[0])
    with gr.Row():
        with gr.Column(min_width=WIDE):
            dist_all = labels(gr.Plot(label=I18N("all_known")), "all_known")
        with gr.Column(min_width=WIDE):
            dist_similar = labels(gr.Plot(label=I18N("similar")), "similar")
    with gr.Row():
        x = dropdown("x_axis", first[0], min_width=220)
        y = dropdown("y_axis", first[1], min_width=220)
    bivariate = labels(gr.Plot(label=I18N("two_features")), "two_features")
    return SimpleNamespace(
        importance=importance, feature=feature, x=x, y=y, outputs=[dist_all, dist_similar, bivariate]
    )


def _what_if_tab(handlers: Handlers, labels: Labels) -> SimpleNamespace:
    base_id = gr.State(None)
    _, text, *start = handlers.typical()  # a new client starts from a typical one, never from zeros
    base_text = gr.Markdown(text)
    with gr.Row():
        fill = labels(gr.Button(I18N("fill")), "fill", "value")
        typical = labels(gr.Button(I18N("typical"), elem_id="typical"), "typical", "value")
        blank = labels(gr.Button(I18N("blank"), elem_id="blank"), "blank", "value")
    with gr.Row(elem_id="what-if-form"):
        inputs = [
            field_component(f, labels, handlers.service, v)
            for f, v in zip(handlers.fields, start, strict=True)
        ]
    score = labels(
        gr.Button(I18N("score_form"), variant="primary", elem_id="score-form"), "score_form", "value"
    )
    return SimpleNamespace(
        base_id=base_id,
        base_text=base_text,
        fill=fill,
        typical=typical,
        blank=blank,
        inputs=inputs,
        score=score,
        view=_decision_view(labels),
    )


def _batch_tab(service: ScoringService, labels: Labels) -> SimpleNamespace:
    def text(lang: str) -> str:
        return t(lang, "batch_text", file=service.champion.table.file, n=service.serving.batch_reasons)

    labels(gr.Markdown(text("en")), text, "value")
    upload = labels(gr.File(label=I18N("upload"), file_types=[".csv"], type="filepath"), "upload")
    run = labels(gr.Button(I18N("run_batch"), variant="primary"), "run_batch", "value")
    scored = labels(gr.File(label=I18N("scored_file")), "scored_file")
    message = gr.Markdown()
    return SimpleNamespace(upload=upload, run=run, scored=scored, message=message)


def build_app(service: ScoringService) -> gr.Blocks:
    """The Blocks of the app (tabs: client, context, what-if / new client, batch, model) and its API."""
    handlers = Handlers(service)
    labels = Labels()
    with gr.Blocks(title="Credit decisions", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        with gr.Row():
            header = gr.Markdown(header_markdown(service), elem_id="header")
            lang = gr.Radio(
                choices=[(name, code) for code, name in LANGUAGES.items()],
                value="en",
                label=I18N("language"),
                elem_id="language",
                scale=0,
                min_width=220,
            )
        current_id = gr.State(None)  # the client looked up (context charts, what-if base)
        with gr.Tabs():
            with labels(gr.Tab(I18N("tab_client"), id="client"), "tab_client"):
                client = _client_tab(service, labels)
            with labels(gr.Tab(I18N("tab_context"), id="context"), "tab_context"):
                ctx = _context_tab(service, labels)
            with labels(gr.Tab(I18N("tab_what_if"), id="what-if"), "tab_what_if"):
                wi = _what_if_tab(handlers, labels)
            with labels(gr.Tab(I18N("tab_batch"), id="batch"), "tab_batch"):
                batch = _batch_tab(service, labels)
            with labels(gr.Tab(I18N("tab_model"), id="model"), "tab_model"):
                model_info = gr.Markdown(model_markdown(service.model_info()))
                check_now = labels(gr.Button(I18N("check_now")), "check_now", "value")
                history = labels(
                    gr.Dataframe(handlers.history, label=I18N("history_label"), interactive=False),
                    "history_label",
                )

        view = client.view
        client_outputs = [
            view.decision,
            view.gauge,
            view.reasons_plot,
            view.reasons,
            view.change,
            view.points,
            current_id,
        ]
        context_inputs = [current_id, ctx.feature, ctx.x, ctx.y, lang]
        context = guarded(handlers.context)
        for trigger in (client.lookup.click, client.client_id.submit):
            trigger(guarded(handlers.lookup), [client.client_id, lang], client_outputs, **PRIVATE).then(
                context, context_inputs, ctx.outputs, **PRIVATE
            )
        client.download.click(guarded(handlers.letter), [current_id, lang], client.letter, **PRIVATE)
        for dropdown in (ctx.feature, ctx.x, ctx.y):
            dropdown.change(context, context_inputs, ctx.outputs, **PRIVATE)
        form = [wi.base_id, wi.base_text, *wi.inputs]
        wi.fill.click(guarded(handlers.fill), [current_id, lang], form, **PRIVATE)
        wi.typical.click(guarded(handlers.typical), lang, form, **PRIVATE)
        wi.blank.click(guarded(handlers.blank), lang, form, **PRIVATE)
        wi_outputs = [
            wi.view.decision,
            wi.view.gauge,
            wi.view.reasons_plot,
            wi.view.reasons,
            wi.view.change,
            wi.view.points,
        ]
        wi.score.click(guarded(handlers.score_form), [wi.base_id, lang, *wi.inputs], wi_outputs, **PRIVATE)
        batch.run.click(
            guarded(handlers.batch),
            batch.upload,
            [batch.scored, batch.message],
            api_name="score_batch",
            concurrency_limit=1,
        )
        check_now.click(guarded(handlers.check), lang, [header, model_info], **PRIVATE).then(
            guarded(handlers.history), lang, history, **PRIVATE
        )
        page_outputs = [header, model_info, ctx.importance]
        demo.load(guarded(handlers.page), lang, page_outputs, **PRIVATE)
        demo.load(context, context_inputs, ctx.outputs, **PRIVATE)
        demo.load(None, None, lang, js=BROWSER_LANGUAGE, **PRIVATE)  # the browser's language, once
        lang.change(labels.relabel, lang, labels.components, **PRIVATE).then(
            guarded(handlers.page), lang, page_outputs, **PRIVATE
        ).then(guarded(handlers.relookup), [current_id, lang], client_outputs, **PRIVATE).then(
            context, context_inputs, ctx.outputs, **PRIVATE
        ).then(guarded(handlers.history), lang, history, **PRIVATE)
        if service.serving.reload_seconds > 0:
            gr.Timer(service.serving.reload_seconds).tick(
                handlers.tick, lang, [header, model_info], **PRIVATE
            )
        register_api(service)
    return demo
