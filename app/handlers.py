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
from app.texts import (
    NEW_CLIENT_TEXT,
    decision_markdown,
    header_markdown,
    model_markdown,
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


def score_outputs(result: ScoreResult) -> tuple[Any, ...]:
    """decision, gauge, reasons chart, reasons text of a score."""
    return (
        decision_markdown(result) + "".join(f"\n\n⚠ {n}" for n in result.notices),  # beside the score
        charts.gauge(result),
        charts.reasons_chart(result.reasons),
        reasons_markdown(result),
    )


class Handlers:
    """The page's event handlers over one service; `fields` are the what-if form's, as built."""

    def __init__(self, service: ScoringService) -> None:
        self.service = service
        self.fields = service.what_if_fields()

    def lookup(self, text: str) -> tuple[Any, ...]:
        result = self.service.score_client(text)
        return (*score_outputs(result), result.client_id)

    def context(self, cid: int | None, name: str | None, x: str | None, y: str | None) -> tuple[Any, ...]:
        service = self.service
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

    def fill(self, cid: int | None) -> tuple[Any, ...]:
        if cid is None:
            raise gr.Error("Look a client up in the Client tab first.")
        values = self.service.shown_values(cid)
        return (cid, what_if_markdown(cid), *[values.get(f.column) for f in self.fields])

    def blank(self) -> tuple[Any, ...]:
        return (None, NEW_CLIENT_TEXT, *[None] * len(self.fields))

    def score_form(self, cid: int | None, *values: Any) -> tuple[Any, ...]:
        shown = {f.column: v for f, v in zip(self.fields, values, strict=True)}
        return score_outputs(self.service.score_fields(self.service.raw_fields(shown, cid)))

    def batch(self, path: str | None) -> tuple[str, str]:
        if not path:
            raise gr.Error("Upload a CSV file first.")
        source = Path(path)
        result = self.service.score_csv(source, name=source.name)
        out = Path(tempfile.mkdtemp(prefix="scored-")) / f"scored_{source.stem}.csv"
        result.frame.to_csv(out, index=False)
        return str(out), result.summary

    def check(self) -> tuple[str, str]:
        changed = self.service.refresh(retry_failed=True)
        md = model_markdown(self.service.model_info())
        if changed:
            gr.Info(f"Now serving version {self.service.champion.card.version}.")
        return header_markdown(self.service), md

    def tick(self) -> tuple[str, str]:
        return header_markdown(self.service), model_markdown(self.service.model_info())

    def page(self) -> tuple[Any, ...]:
        """What a (re)opened page shows of the champion served now (it may have changed since start)."""
        return (*self.tick(), charts.importance_chart(self.service.importance()))


def register_api(service: ScoringService) -> None:
    """The named API endpoints (gradio_client), inside the Blocks being built: JSON in, JSON out."""

    def score(client_id: str) -> dict:
        """Probability of default, decision, threshold, distance and main reasons of a client (by its id)."""
        return service.score_client(client_id).to_dict()

    def score_features(fields: dict) -> dict:
        """Score of an application given as {column: value} (raw columns and units of the application table).
        With the id of a known client, the fields replace that client's values (what-if)."""
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
