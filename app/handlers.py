"""What the page's events and the API endpoints do: ask the scoring service, turn the answer into texts and
charts. A project error becomes a readable message on the page (`gr.Error`), never a traceback."""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from app import charts
from app.letter import write_letter
from app.locales import t
from app.points import points_update
from app.texts import (
    change_block,
    change_sentence,
    decision_markdown,
    header_markdown,
    model_markdown,
    no_change_text,
    range_markdown,
    reasons_markdown,
    what_if_markdown,
)
from credit_scoring.errors import CreditScoringError
from credit_scoring.serving.results import ScoreResult, rejection_line, user_message
from credit_scoring.serving.service import ScoringService

log = logging.getLogger("credit_scoring.app")


def _fail(exc: BaseException) -> gr.Error:
    if not isinstance(exc, CreditScoringError):
        log.exception("request failed")
        return gr.Error(user_message(exc), duration=None)
    log.warning(rejection_line(exc))  # a rejected input: one line in the server log, no traceback
    return gr.Error(user_message(exc), duration=None, print_exception=False)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run fn; the project's errors become a readable message (gr.Error), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error as exc:
            log.warning(rejection_line(exc))
            exc.print_exception = False
            raise
        except Exception as exc:
            raise _fail(exc) from None

    return wrapper


def as_text(value: Any) -> str:
    """A form value as the text of its box ("" for missing: never a 0 the user did not type)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


class Handlers:
    """The page's event handlers over one service; `fields` are the what-if form's, as built. Every handler
    that writes words takes the page's language (`lang`: en, fr)."""

    def __init__(self, service: ScoringService) -> None:
        self.service = service
        self.fields = service.what_if_fields()

    def change_text(self, result: ScoreResult, request: Any, lang: str) -> str:
        """What would change a refused client's decision, as a sentence ("" when granted)."""
        if not result.refused:
            return ""
        labeller = self.service.labeller(lang)
        change = self.service.what_would_change(request)
        if change is None:
            return no_change_text(list(self.service.serving.counterfactual.fields), labeller, lang)
        return change_sentence(change, labeller, lang)

    def score_outputs(self, result: ScoreResult, request: Any, lang: str, extra: str = "") -> tuple[Any, ...]:
        """decision, gauge, reasons chart, reasons text, what would change it (refused: `request`, a client
        id or fields, searched) of a score; `extra` follows the decision (e.g. fields outside the range)."""
        return (
            decision_markdown(result, lang) + extra + "".join(f"\n\n⚠ {n}" for n in result.notices),
            charts.gauge(result, lang),
            charts.reasons_chart(result.reasons, lang),
            reasons_markdown(result, lang),
            change_block(result, self.change_text(result, request, lang), lang),
            points_update(result),
        )

    def lookup(self, text: str, lang: str = "en") -> tuple[Any, ...]:
        result = self.service.score_client(text, lang)
        return (*self.score_outputs(result, result.client_id, lang), result.client_id)

    def relookup(self, cid: int | None, lang: str = "en") -> tuple[Any, ...]:
        """The client view again in another language (placeholders when no client was looked up)."""
        if cid is None:
            blank = charts.empty(t(lang, "chart_gauge"), t(lang, "look_up_short"))
            reasons = charts.empty(t(lang, "chart_reasons"), t(lang, "look_up_short"))
            return (t(lang, "look_up_prompt"), blank, reasons, "", "", points_update(None), None)
        return self.lookup(str(cid), lang)

    def context(
        self, cid: int | None, name: str | None, x: str | None, y: str | None, lang: str = "en"
    ) -> tuple[Any, ...]:
        service = self.service
        labeller = service.labeller(lang)
        result = service.score_client(cid) if cid is not None else None
        if not name:
            placeholder = charts.empty(t(lang, "chart_distribution"), t(lang, "choose_feature"))
            dist = (placeholder, placeholder)
        else:
            data = {**service.distribution(name, result), "label": labeller.label(name)}
            dist = (
                charts.distribution_chart(data, "all", lang),
                charts.distribution_chart(data, "similar", lang),
            )
        if x and y:
            pair = {
                **service.bivariate(x, y, result),
                "x_label": labeller.label(x),
                "y_label": labeller.label(y),
            }
            biv = charts.bivariate_chart(pair, lang)
        else:
            biv = charts.empty(t(lang, "two_features"), t(lang, "choose_two"))
        return (*dist, biv)

    def fill(self, cid: int | None, lang: str = "en") -> tuple[Any, ...]:
        if cid is None:
            raise gr.Error(t(lang, "look_up_first"))
        values = self.service.shown_values(cid)
        return (cid, what_if_markdown(cid, lang), *[self._value(f, values) for f in self.fields])

    def _value(self, f: Any, values: dict[str, Any]) -> Any:
        value = values.get(f.column)
        return value if f.kind in ("category", "flag") else as_text(value)

    def typical(self, lang: str = "en") -> tuple[Any, ...]:
        """A new client from a typical one (medians of past clients). A number whose median is 0 (most
        clients have no children) is left empty: a new client's form holds no 0 the user did not type."""
        values = {
            column: None if _is_zero(value) else value
            for column, value in self.service.typical_values().items()
        }
        return (None, t(lang, "new_client_text"), *[self._value(f, values) for f in self.fields])

    def blank(self, lang: str = "en") -> tuple[Any, ...]:
        return (None, t(lang, "empty_form_text"), *[self._value(f, {}) for f in self.fields])

    def score_form(self, cid: int | None, lang: str, *values: Any) -> tuple[Any, ...]:
        shown = {f.column: v for f, v in zip(self.fields, values, strict=True)}
        fields = self.service.raw_fields(shown, cid)
        result = self.service.score_fields(fields, lang)
        flags = range_markdown(self.service.out_of_range(fields), lang)
        return self.score_outputs(result, fields, lang, flags)

    def letter(self, cid: int | None, lang: str = "en") -> list[str]:
        """The decision letter of the client looked up: [PDF, HTML] files."""
        if cid is None:
            raise gr.Error(t(lang, "look_up_first"))
        result = self.service.score_client(cid, lang)
        return write_letter(result, self.change_text(result, result.client_id, lang), lang)

    def batch(self, path: str | None, lang: str = "en") -> tuple[str, str]:
        if not path:
            raise gr.Error(t(lang, "upload_first"))
        source = Path(path)
        result = self.service.score_csv(source, name=source.name)
        out = Path(tempfile.mkdtemp(prefix="scored-")) / f"scored_{source.stem}.csv"
        result.frame.to_csv(out, index=False)
        return str(out), result.summary

    def check(self, lang: str = "en") -> tuple[str, str]:
        changed = self.service.refresh(retry_failed=True)
        md = model_markdown(self.service.model_info(), lang)
        if changed:
            gr.Info(t(lang, "now_serving", version=self.service.champion.card.version))
        return header_markdown(self.service, lang), md

    def tick(self, lang: str = "en") -> tuple[str, str]:
        return header_markdown(self.service, lang), model_markdown(self.service.model_info(), lang)

    def history(self, lang: str = "en") -> Any:
        """The Model tab's table of the aliases' moves, its headers in `lang`."""
        frame = self.service.champion_history()
        names = t(lang, "history_columns").split("|")
        return frame.rename(columns=dict(zip(frame.columns, names, strict=False)))

    def page(self, lang: str = "en") -> tuple[Any, ...]:
        """What a (re)opened page shows of the champion served now (it may have changed since start)."""
        importance = self.service.importance()
        labeller = self.service.labeller(lang)
        importance = importance.assign(label=[labeller.label(f) for f in importance["feature"]])
        return (*self.tick(lang), charts.importance_chart(importance, lang))


def register_api(service: ScoringService) -> None:
    """The named API endpoints (gradio_client), inside the Blocks being built: JSON in, JSON out."""

    def score(client_id: str) -> dict:
        """Probability of default, decision, threshold, distance and main reasons of a client (by its id)."""
        return service.score_client(client_id).to_dict()

    def score_features(fields: dict) -> dict:
        """Score of an application given as {column: value} (raw columns and units of the application table).
        With the id of a known client, the fields replace that client's values (what-if)."""
        return service.score_fields(fields).to_dict()

    def what_would_change(request: Any) -> dict:
        """For a refused client (a client id, or a dict of fields as for /score_features): the smallest
        change of the editable fields (credit amount, annuity, goods price) that would grant it, as changes
        and a sentence; {"found": false, "sentence": ...} when none within the range of past clients, and
        {"found": false, "refused": false} for a client already granted."""
        fields = request if isinstance(request, dict) else None
        result = service.score_fields(fields) if fields is not None else service.score_client(request)
        if not result.refused:
            return {"found": False, "refused": False, "sentence": ""}
        change = service.what_would_change(request)
        if change is None:
            return {"found": False, "refused": True, "sentence": service.no_change_text()}
        return {"found": True, "refused": True, **change.to_dict()}

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
    gr.api(guarded(what_would_change), api_name="what_would_change", concurrency_limit=2)
