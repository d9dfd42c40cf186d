"""The relationship managers' app: a Gradio dashboard over the champion model, and its scoring API.

Run: ``make app`` or ``python app/main.py [--config conf/serving/app.yaml] [key=value ...]`` (e.g.
``port=7861``). Authentication: the user and password come from the environment variables named in the
configuration (CREDIT_APP_USER / CREDIT_APP_PASSWORD by default); binding beyond loopback without them is
refused unless ``allow_public_without_auth=true``.

The app only loads the champion (`credit_scoring.serving.service.ScoringService`) and draws what the library
computes. Named API endpoints (gradio_client): ``/score`` (client id), ``/score_features`` (dict of
fields), ``/score_batch`` (CSV file), ``/model_info``, ``/ping`` (health check).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python app/main.py`: make the `app` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from app import charts  # noqa: E402
from credit_scoring.errors import ConfigError, CreditScoringError  # noqa: E402
from credit_scoring.serving.service import (  # noqa: E402
    DEFAULT_APP_CONFIG,
    KNOWN,
    PRODUCTION,
    AppConfig,
    FieldInfo,
    ScoreResult,
    ScoringService,
    check_binding,
    credentials_from_env,
    load_app_config,
    user_message,
)

log = logging.getLogger("credit_scoring.app")

SOURCE_TEXT = {
    PRODUCTION: "production client",
    KNOWN: "known client",
    "new": "new client",
    "what-if": "what-if",
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
CSS = """
.decision-box {font-size: 1.15rem; line-height: 1.5;}
.decision-box h2 {margin: 0.2em 0;}
"""


# ---- text ---------------------------------------------------------------------------------------------------
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


def _fail(exc: BaseException) -> gr.Error:
    if not isinstance(exc, CreditScoringError):
        log.exception("request failed")
    return gr.Error(user_message(exc), duration=None)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn; the project's errors become a readable message (gr.Error), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise _fail(exc) from None

    return wrapper


# ---- the page -----------------------------------------------------------------------------------------------
def _field_component(f: FieldInfo) -> gr.components.Component:
    label = f"{f.label} ({f.unit})" if f.unit else f.label
    if f.kind == "category":
        return gr.Dropdown(choices=f.choices, label=label, allow_custom_value=True, value=None)
    if f.kind == "flag":
        return gr.Radio(choices=["yes", "no"], label=label, value=None)
    return gr.Number(
        label=label, value=None, step=1 if f.integer else 0.01, precision=0 if f.integer else None
    )


def build_app(service: ScoringService) -> gr.Blocks:
    """The Blocks of the app (tabs: client, context, what-if / new client, batch, model) and its API."""
    cfg: AppConfig = service.cfg
    choices = service.choices()
    first = [c[1] for c in choices[:2]] + [None, None]
    examples = service.example_ids()
    fields = service.what_if_fields()

    with gr.Blocks(title="Credit decisions", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        header = gr.Markdown(header_markdown(service), elem_id="header")
        current_id = gr.State(None)  # the client looked up (context charts, what-if base)
        with gr.Tabs():
            # -- 1. client
            with gr.Tab("Client", id="client"):
                with gr.Row(equal_height=False):
                    client_id = gr.Textbox(
                        label="Client ID (SK_ID_CURR)",
                        placeholder="e.g. " + str((examples[PRODUCTION] or [100002])[0]),
                        elem_id="client-id",
                        scale=3,
                        min_width=220,
                    )
                    lookup = gr.Button(
                        "Look up the client", variant="primary", elem_id="lookup", scale=1, min_width=160
                    )
                gr.Markdown(
                    f"Production clients, e.g. {', '.join(map(str, examples[PRODUCTION]))}; "
                    f"known clients (past credits), e.g. {', '.join(map(str, examples[KNOWN]))}."
                )
                with gr.Row():
                    with gr.Column(min_width=320):
                        decision = gr.Markdown(
                            "Look a client up to see the decision.",
                            elem_id="decision",
                            elem_classes=["decision-box"],
                        )
                        reasons_text = gr.Markdown(elem_id="reasons")
                    with gr.Column(min_width=320):
                        gauge = gr.Plot(
                            charts.empty("Probability of default", "Look a client up."),
                            label="Probability of default and threshold",
                            elem_id="gauge",
                        )
                reasons_plot = gr.Plot(
                    charts.empty("Main reasons for this score", "Look a client up."),
                    label="Main reasons (chart)",
                    elem_id="reasons-chart",
                )

            # -- 2. context
            with gr.Tab("Context", id="context"):
                importance_plot = gr.Plot(
                    charts.importance_chart(service.importance()), label="Global importance"
                )
                feature = gr.Dropdown(choices=choices, value=first[0], label="Feature to compare")
                with gr.Row():
                    with gr.Column(min_width=320):
                        dist_all = gr.Plot(label="All known clients")
                    with gr.Column(min_width=320):
                        dist_similar = gr.Plot(label="Similar clients")
                with gr.Row():
                    x_feature = gr.Dropdown(
                        choices=choices, value=first[0], label="Horizontal axis", min_width=220
                    )
                    y_feature = gr.Dropdown(
                        choices=choices, value=first[1], label="Vertical axis", min_width=220
                    )
                bivariate_plot = gr.Plot(label="Two features")

            # -- 3. what-if and new client
            with gr.Tab("What-if / new client", id="what-if"):
                base_id = gr.State(None)
                base_text = gr.Markdown("**New client**: fields left empty are missing; no credit history.")
                with gr.Row():
                    fill = gr.Button("Start from the client looked up")
                    blank = gr.Button("Empty form (new client)")
                inputs: list[gr.components.Component] = []
                with gr.Row():
                    for f in fields:
                        inputs.append(_field_component(f))
                score_form = gr.Button("Score these values", variant="primary", elem_id="score-form")
                with gr.Row():
                    with gr.Column(min_width=320):
                        wi_decision = gr.Markdown(elem_classes=["decision-box"])
                        wi_reasons = gr.Markdown()
                    with gr.Column(min_width=320):
                        wi_gauge = gr.Plot(label="Probability of default and threshold")
                wi_reasons_plot = gr.Plot(label="Main reasons (chart)")

            # -- 4. batch
            with gr.Tab("Batch scoring", id="batch"):
                gr.Markdown(
                    "Upload a CSV of applications with the columns of application_test.csv (comma-separated). "
                    "The scored file adds the probability of default, the decision, the distance to the "
                    f"threshold and the {cfg.batch_reasons} main reasons of each row."
                )
                upload = gr.File(label="Applications (CSV)", file_types=[".csv"], type="filepath")
                run_batch = gr.Button("Score the file", variant="primary")
                scored = gr.File(label="Scored file (download)")
                batch_message = gr.Markdown()

            # -- 5. model
            with gr.Tab("Model", id="model"):
                model_info_md = gr.Markdown(model_markdown(service.model_info()))
                check_now = gr.Button("Check for a new champion now")

        # ---- handlers
        def lookup_fn(text: str) -> tuple[Any, ...]:
            result = service.score_client(text)
            return (
                decision_markdown(result),
                charts.gauge(result),
                charts.reasons_chart(result.reasons),
                reasons_markdown(result),
                result.client_id,
            )

        def context_fn(cid: int | None, name: str | None, x: str | None, y: str | None) -> tuple[Any, ...]:
            result = service.score_client(cid) if cid is not None else None
            if not name:
                placeholder = charts.empty("Distribution", "Choose a feature.")
                dist = (placeholder, placeholder)
            else:
                data = service.distribution(name, result)
                dist = (charts.distribution_chart(data, "all"), charts.distribution_chart(data, "similar"))
            biv = (
                charts.bivariate_chart(service.bivariate(x, y, result))
                if x and y
                else charts.empty("Two features", "Choose two features.")
            )
            return (*dist, biv)

        def fill_fn(cid: int | None) -> tuple[Any, ...]:
            if cid is None:
                raise gr.Error("Look a client up in the Client tab first.")
            values = service.shown_values(cid)
            text = (
                f"**What-if on client {cid}**: the form starts from the client's values; fields not in the "
                "form (and the credit history) stay the client's."
            )
            return (cid, text, *[values.get(f.column) for f in fields])

        def blank_fn() -> tuple[Any, ...]:
            return (
                None,
                "**New client**: fields left empty are missing; no credit history.",
                *[None] * len(fields),
            )

        def score_form_fn(cid: int | None, *values: Any) -> tuple[Any, ...]:
            shown = {f.column: v for f, v in zip(fields, values, strict=True)}
            result = service.score_fields(service.raw_fields(shown, cid))
            return (
                decision_markdown(result),
                charts.gauge(result),
                charts.reasons_chart(result.reasons),
                reasons_markdown(result),
            )

        def batch_fn(path: str | None) -> tuple[str, str]:
            if not path:
                raise gr.Error("Upload a CSV file first.")
            source = Path(path)
            result = service.score_csv(source, name=source.name)
            out_dir = Path(tempfile.mkdtemp(prefix="scored-"))
            out = out_dir / f"scored_{source.stem}.csv"
            result.frame.to_csv(out, index=False)
            return str(out), result.summary

        def check_fn() -> tuple[str, str]:
            changed = service.refresh(retry_failed=True)
            md = model_markdown(service.model_info())
            if changed:
                gr.Info(f"Now serving version {service.champion.card.version}.")
            return header_markdown(service), md

        def tick_fn() -> tuple[str, str]:
            return header_markdown(service), model_markdown(service.model_info())

        private = {"api_visibility": "private"}
        client_outputs = [decision, gauge, reasons_plot, reasons_text, current_id]
        context_inputs = [current_id, feature, x_feature, y_feature]
        context_outputs = [dist_all, dist_similar, bivariate_plot]
        for trigger in (lookup.click, client_id.submit):
            trigger(guarded(lookup_fn), client_id, client_outputs, **private).then(
                guarded(context_fn), context_inputs, context_outputs, **private
            )
        for dropdown in (feature, x_feature, y_feature):
            dropdown.change(guarded(context_fn), context_inputs, context_outputs, **private)
        fill.click(guarded(fill_fn), current_id, [base_id, base_text, *inputs], **private)
        blank.click(guarded(blank_fn), None, [base_id, base_text, *inputs], **private)
        score_form.click(
            guarded(score_form_fn),
            [base_id, *inputs],
            [wi_decision, wi_gauge, wi_reasons_plot, wi_reasons],
            **private,
        )
        run_batch.click(
            guarded(batch_fn), upload, [scored, batch_message], api_name="score_batch", concurrency_limit=1
        )
        check_now.click(guarded(check_fn), None, [header, model_info_md], **private)

        def page_fn() -> tuple[Any, ...]:
            """What a (re)opened page shows of the champion served now (it may have changed since start)."""
            info = service.model_info()
            return (
                header_markdown(service),
                model_markdown(info),
                charts.importance_chart(service.importance()),
            )

        demo.load(guarded(page_fn), None, [header, model_info_md, importance_plot], **private)
        demo.load(guarded(context_fn), context_inputs, context_outputs, **private)
        if cfg.reload_seconds > 0:
            gr.Timer(cfg.reload_seconds).tick(tick_fn, None, [header, model_info_md], **private)

        # ---- API (gradio_client): named endpoints returning JSON
        def score(client_id: str) -> dict:
            """Probability of default, decision, threshold, distance and main reasons of a client (SK_ID_CURR)."""
            return service.score_client(client_id).to_dict()

        def score_features(fields: dict) -> dict:
            """Score of an application given as {column: value} (raw columns and units of application_test.csv).
            With the SK_ID_CURR of a known client, the fields replace that client's values (what-if)."""
            return service.score_fields(fields).to_dict()

        def model_info() -> dict:
            """The champion served: version, run, training time, test metrics, threshold, cost weights."""
            return service.model_info()

        def ping() -> dict:
            """Health check: the app answers, and the champion version it serves."""
            return {"status": "ok", "model_version": service.champion.card.version}

        gr.api(guarded(score), api_name="score", queue=False)
        gr.api(ping, api_name="ping", queue=False)
        gr.api(guarded(score_features), api_name="score_features", concurrency_limit=2)
        gr.api(guarded(model_info), api_name="model_info")
    return demo


# ---- entry point --------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str]) -> tuple[Path, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_APP_CONFIG, help="app configuration (YAML)")
    parser.add_argument(
        "overrides", nargs="*", help="key=value overrides of the configuration, e.g. port=7861"
    )
    args = parser.parse_args(list(argv))
    return args.config, list(args.overrides)


def launch(service: ScoringService, credentials: tuple[str, str] | None, block: bool = True) -> gr.Blocks:
    """Start the server with the configured host, port and authentication."""
    cfg = service.cfg
    demo = build_app(service)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=cfg.host,
        server_port=cfg.port,
        auth=credentials,
        auth_message="Credit decisions: sign in with your relationship manager account.",
        max_file_size=cfg.max_upload,
        allowed_paths=[],
        footer_links=["api", "settings"],
        run_history=False,  # no client data kept in the browser
        ssr_mode=False,
        show_error=True,
        quiet=True,
        prevent_thread_lock=not block,
        theme=gr.themes.Default(primary_hue="blue", secondary_hue="orange"),
        css=CSS,
    )
    return demo


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config, overrides = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cfg = load_app_config(config, overrides)
        credentials = credentials_from_env(cfg.auth)
        check_binding(cfg.host, credentials, cfg.allow_public_without_auth)
        service = ScoringService(cfg)
    except CreditScoringError as exc:
        print(f"[app] FAILED: {exc}", file=sys.stderr)
        return 2
    if credentials is None:
        log.warning(
            "no authentication (%s / %s not set): loopback only", cfg.auth.user_env, cfg.auth.password_env
        )
    service.start_watcher()
    print(
        f"[app] serving {service.champion.card.model_name} version {service.champion.card.version} "
        f"on http://{cfg.host}:{cfg.port}",
        flush=True,
    )
    try:
        launch(service, credentials, block=True)
    except (ConfigError, OSError) as exc:
        print(f"[app] FAILED: {exc}", file=sys.stderr)
        return 2
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
