"""The model card (model_card.md, its HTML page and model_card_calibration.svg): the champion, its intended
use and limits, its data, test metrics and calibration, the threshold and the cost it minimises, results by
group, and the latest drift verdict. Markdown from a jinja2 template, HTML by markdown-it in the shared page
shell, the calibration curve as a plain SVG (it shows in Markdown viewers too).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from credit_scoring.config.modelling import CostConfig
from credit_scoring.io.atomic import write_text
from credit_scoring.monitoring.drift_report import DRIFT_HTML
from credit_scoring.monitoring.summary import clean
from credit_scoring.reporting.html import now_utc, page

MODEL_CARD_MD = "model_card.md"
MODEL_CARD_HTML = "model_card.html"
CALIBRATION_SVG = "model_card_calibration.svg"
TEST_METRICS = ("roc_auc", "pr_auc", "gini", "ks", "brier", "recall", "precision", "refusal_rate",
                "business_cost", "oracle_roc_auc", "roc_auc_vs_oracle")  # fmt: skip
THRESHOLD_NOTE = (
    "The threshold minimises this cost on the validation split (after calibration); it is stored with the "
    "model and used by the app."
)
DEFAULT_INTENDED_USE = (
    "Estimate the probability that an applicant for a consumer loan defaults, to support (not replace) a "
    "credit officer's decision to approve or refuse the application."
)
DEFAULT_LIMITS = [
    "Trained on the Home Credit Default Risk schema; it is valid only for applicants like the training "
    "population. Check the drift report before trusting its scores on a new population.",
    "Not for pricing, marketing, collections or any decision about people other than the applicant.",
    "The probability is calibrated on the training population; calibration degrades under drift.",
    "Group results below are descriptive: a gap is a signal to investigate, not a proof of unfairness, "
    "and groups that are small carry wide uncertainty.",
]

MODEL_CARD_TEMPLATE = """\
# Model card: {{ model.name | default("credit scoring model") }}

{% if model %}| | |
|---|---|
{% for k, v in model.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% endif %}
_Generated {{ generated_at }}._

## Intended use

{{ intended_use }}

## Limits

{% for item in limits %}- {{ item }}
{% endfor %}
## Training data

{% if training_data %}| | |
|---|---|
{% for k, v in training_data.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Metrics

{% if metrics %}| metric | value |
|---|---|
{% for k, v in metrics.items() %}| {{ k }} | {{ v | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Calibration

{% if calibration %}![Calibration curve]({{ calibration_svg }})

| bin | rows | mean predicted | observed default rate |
|---|---|---|---|
{% for r in calibration %}| {{ r.bin }} | {{ r.rows }} | {{ r.predicted | fmt }} | {{ r.observed | fmt }} |
{% endfor %}{% else %}Not recorded.
{% endif %}
## Threshold and cost assumptions

An application is refused when the predicted probability of default is at least **{{ threshold | fmt }}**.
Accepting a client who defaults (false negative) is assumed to cost **{{ cost_fn | fmt }}**, refusing a client
who would have repaid (false positive) **{{ cost_fp | fmt }}**; the business cost is {{ cost_fn | fmt }}·FN +
{{ cost_fp | fmt }}·FP, reported per client.
{% if threshold_note %}
{{ threshold_note }}
{% endif %}
## Results by group

{% if fairness and fairness.groups %}Decision threshold {{ fairness.threshold | fmt }}; gaps are computed over groups of at least
{{ fairness_min }} rows (and as many defaulters for the true positive rate); bound {{ fairness.max_gap | fmt }}.
Approval rate: share approved. True positive rate: among actual defaulters, the share refused.

{% for col, g in fairness.groups.items() %}### {{ col }}

| group | rows | default rate | approval rate | true positive rate |
|---|---|---|---|---|
{% for r in g.table %}| {{ r.group }} | {{ r.rows }} | {{ r.default_rate | fmt }} | {{ r.approval_rate | fmt }} | {{ r.tpr | fmt }} |
{% endfor %}
- Demographic parity difference: **{{ g.demographic_parity_difference | fmt }}**{% if g.demographic_parity_groups[0] %} ({{ g.demographic_parity_groups[0] }} vs {{ g.demographic_parity_groups[1] }}){% endif %}
- Equal opportunity difference: **{{ g.equal_opportunity_difference | fmt }}**{% if g.equal_opportunity_groups[0] %} ({{ g.equal_opportunity_groups[0] }} vs {{ g.equal_opportunity_groups[1] }}){% endif %}
{% if g.excluded_groups %}- Left out of the gaps (too small): {{ g.excluded_groups | join(", ") }}
{% endif %}
{% endfor %}{% if fairness.warnings %}**Warnings**

{% for w in fairness.warnings %}- ⚠ {{ w }}
{% endfor %}{% else %}No gap exceeds the bound.
{% endif %}{% else %}Not computed.
{% endif %}
## Champion history

{% if history %}Every move of the registry's aliases, newest first (`credit-scoring promote`; reports/champion_history.html).

| when (UTC) | alias | from | to | who | why |
|---|---|---|---|---|---|
{% for h in history %}| {{ h.at }} | {{ h.alias }} | {{ h.from_version | fmt }} | {{ h.to_version }} | {{ h.who | cell }} | {{ h.why | cell }} |
{% endfor %}{% else %}No alias move recorded.
{% endif %}
{% if monitoring %}## Monitoring

{% for k, v in monitoring.items() %}- {{ k }}: {{ v }}
{% endfor %}{% endif %}"""


def _fmt_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) >= 1e-3 or v == 0 else f"{v:.3g}"
    return str(v)


def calibration_svg(
    calibration: Sequence[Mapping[str, Any]],
    reference: Sequence[Mapping[str, Any]] | None = None,
    width: int = 420,
    height: int = 360,
) -> str:
    """A plain SVG reliability diagram (no script: it shows in Markdown viewers and in the HTML card)."""
    pad = 50
    pts = [(float(r["predicted"]), float(r["observed"])) for r in calibration]
    ref = [(float(r["predicted"]), float(r["observed"])) for r in reference or []]
    top = max([0.05, *(max(x, y) for x, y in pts + ref)]) * 1.05

    def xy(x: float, y: float) -> str:
        return f"{pad + x / top * (width - 2 * pad):.1f},{height - pad - y / top * (height - 2 * pad):.1f}"

    def line(points: list[tuple[float, float]], color: str) -> str:
        d = " ".join(xy(x, y) for x, y in points)
        dots = "".join(f"<circle cx='{xy(x, y).split(',')[0]}' cy='{xy(x, y).split(',')[1]}' r='3' fill='{color}'/>"
                       for x, y in points)  # fmt: skip
        return f"<polyline points='{d}' fill='none' stroke='{color}' stroke-width='2'/>{dots}"

    ticks = "".join(
        f"<text x='{xy(t, 0).split(',')[0]}' y='{height - pad + 16}' font-size='11' text-anchor='middle'>{t:.2f}</text>"
        f"<text x='{pad - 6}' y='{xy(0, t).split(',')[1]}' font-size='11' text-anchor='end'>{t:.2f}</text>"
        for t in np.linspace(0, top, 5)
    )
    legend = "<text x='60' y='20' font-size='12' fill='#1f77b4'>● model</text>"
    if ref:
        legend += "<text x='140' y='20' font-size='12' fill='#ff7f0e'>● reference</text>"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='sans-serif'>"
        f"<rect width='100%' height='100%' fill='white'/>"
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#333'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='#333'/>"
        f"<polyline points='{xy(0, 0)} {xy(top, top)}' stroke='#999' stroke-dasharray='4 4' fill='none'/>"
        f"{ticks}{line(ref, '#ff7f0e') if ref else ''}{line(pts, '#1f77b4')}{legend}"
        f"<text x='{width / 2}' y='{height - 10}' font-size='12' text-anchor='middle'>mean predicted</text>"
        f"<text x='14' y='{height / 2}' font-size='12' text-anchor='middle' "
        f"transform='rotate(-90 14 {height / 2})'>observed default rate</text></svg>\n"
    )


def render_model_card(context: Mapping[str, Any]) -> str:
    """The model card's Markdown from a context (see write_model_card)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["fmt"] = _fmt_value
    env.filters["cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env.from_string(MODEL_CARD_TEMPLATE).render(**context)


def markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def write_model_card(
    reports_dir: Path,
    *,
    model: Mapping[str, Any] | None = None,
    training_data: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    calibration: Sequence[Mapping[str, Any]] | None = None,
    fairness: Mapping[str, Any] | None = None,
    threshold: float,
    cost: CostConfig,
    intended_use: str = DEFAULT_INTENDED_USE,
    limits: Sequence[str] = tuple(DEFAULT_LIMITS),
    monitoring: Mapping[str, Any] | None = None,
    threshold_note: str | None = None,
    generated_at: str | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Path]:
    """Write model_card.md, model_card.html and model_card_calibration.svg into reports_dir.

    calibration: performance.calibration_table records (bin, rows, predicted, observed) on the test split;
    fairness: fairness.fairness_report output; metrics: name -> value (test ROC AUC, Brier, cost...);
    threshold and cost: the champion's threshold and the business cost it minimises (`evaluation.cost`);
    history: the alias moves, newest first (`tracking.history.history_rows`).
    """
    reports_dir = Path(reports_dir)
    groups = (fairness or {}).get("groups") or {}
    fairness_min = next(iter(groups.values())).get("min_group_size") if groups else None
    context = clean(
        {
            "model": dict(model or {}),
            "generated_at": generated_at or now_utc(),
            "intended_use": intended_use,
            "limits": list(limits),
            "training_data": dict(training_data or {}),
            "metrics": dict(metrics or {}),
            "calibration": list(calibration or []),
            "calibration_svg": CALIBRATION_SVG,
            "threshold": threshold,
            "cost_fn": cost.false_negative,
            "cost_fp": cost.false_positive,
            "threshold_note": threshold_note,
            "fairness": dict(fairness) if fairness else None,
            "fairness_min": fairness_min,
            "monitoring": dict(monitoring or {}),
            "history": [dict(h) for h in history or []],
        }
    )
    md = render_model_card(context)
    paths = {
        "md": reports_dir / MODEL_CARD_MD,
        "html": reports_dir / MODEL_CARD_HTML,
        "svg": reports_dir / CALIBRATION_SVG,
    }
    if calibration:
        write_text(calibration_svg(calibration), paths["svg"])
    else:
        paths.pop("svg")
    write_text(md, paths["md"])
    body = markdown_to_html(re.sub(r"\A# [^\n]*\n", "", md))  # the page's own <h1> carries the title
    title = md.splitlines()[0].lstrip("# ").strip()
    write_text(page(title, body), paths["html"])
    return paths


def card_metrics(train_metrics: Mapping[str, Any] | None, ece: float) -> dict[str, Any]:
    """The card's metrics: the train stage's test figures (its metrics.json, when there is one) and the
    expected calibration error of the champion on the test split."""
    test = (train_metrics or {}).get("test", {})
    found = {f"test {k}": test[k] for k in TEST_METRICS if test.get(k) is not None}
    return {**found, "test expected calibration error": ece}


def monitoring_links(
    summary: Mapping[str, Any], drift_dir: Path | str, validation_page: Path | str | None = None
) -> dict[str, str]:
    """The card's monitoring section: the latest drift verdict, the drifted features, the report's link, and
    the PD validation report's link (`validation_page`, in a folder beside the card's) when given."""
    counts = summary["counts"]
    links = {
        "latest drift verdict": summary["policy"]["status"]
        + (f" ({summary['generated_at']})" if summary.get("generated_at") else ""),
        "drifted features": f"{counts['drifted']} of {counts['features']}",
        "report": f"{Path(drift_dir).name}/{DRIFT_HTML}",
    }
    if validation_page is not None:
        page = Path(validation_page)
        links["PD validation report"] = f"{page.parent.name}/{page.name}"
    return links
