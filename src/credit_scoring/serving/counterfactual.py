"""What would change the decision: the smallest changes of the editable fields of an application (credit
amount, annuity, goods price: never age, gender or any other field) that bring a refused client's
probability of default under the threshold.

Method (a bounded grid search, `search`): each editable field the client has is multiplied by the configured
factors (`serving.counterfactual.factors`: smaller and larger values), one field at a time, then two fields
at a time (up to `max_fields`); a candidate value outside the training range of the field (the
`bounds_quantiles` of the known clients' values) is not tried. Every candidate is scored in one batch by the
champion's own pipeline (the same preprocessing, domain features and model as a score), so ratios such as
credit / income or the term (credit / annuity) follow the changed fields. The answer is the candidate under
the threshold with the fewest changed fields, then the smallest total relative change; None when no
candidate within the bounds crosses the threshold. Changing the annuity at the same credit amount is a
change of the term; the sentence says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.config.serving import CounterfactualConfig

if TYPE_CHECKING:
    from credit_scoring.serving.champion import ChampionVersion


@dataclass(frozen=True)
class Change:
    """One field changed: its raw values before and after, as shown to people."""

    column: str
    label: str
    before: float
    after: float
    before_text: str
    after_text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Counterfactual:
    """Changes that would bring the probability of default under the threshold."""

    changes: tuple[Change, ...]
    probability: float
    threshold: float
    term: tuple[float, float] | None = None  # (before, after) when the credit or the annuity changes it

    def sentence(self) -> str:
        parts = " and ".join(
            f"a {c.label.lower()} of {c.after_text} instead of {c.before_text}" for c in self.changes
        )
        note = f" (a term of {self.term[1]:.1f} annuities instead of {self.term[0]:.1f})" if self.term else ""
        return (
            f"With {parts}{note}, the application would be granted "
            f"(probability of default {self.probability:.1%}, under the threshold of {self.threshold:.1%})."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "probability": self.probability,
            "threshold": self.threshold,
            "term": list(self.term) if self.term else None,
            "sentence": self.sentence(),
        }


NONE_TEXT = (
    "No change of the editable fields ({fields}) within the range of past clients brings this application "
    "under the threshold."
)


def candidates(
    base: dict[str, float], bounds: dict[str, tuple[float, float]], factors: Sequence[float], max_fields: int
) -> list[dict[str, float]]:
    """Changed values of the fields (each candidate: {column: new value}), fewest fields first; only fields
    the client has (not missing) and values within their bounds."""
    options: dict[str, list[float]] = {}
    for column, value in base.items():
        if value is None or not np.isfinite(value) or column not in bounds:
            continue
        low, high = bounds[column]
        values = [value * f for f in factors if f != 1 and low <= value * f <= high]
        if values:
            options[column] = values
    out: list[dict[str, float]] = []
    for k in range(1, max_fields + 1):
        for columns in itertools.combinations(options, k):
            for values in itertools.product(*(options[c] for c in columns)):
                out.append(dict(zip(columns, values, strict=True)))
    return out


def relative_change(base: dict[str, float], candidate: dict[str, float]) -> float:
    return float(sum(abs(v - base[c]) / abs(base[c]) if base[c] else abs(v) for c, v in candidate.items()))


def search(
    base: dict[str, float],
    bounds: dict[str, tuple[float, float]],
    score: Callable[[list[dict[str, float]]], np.ndarray],
    threshold: float,
    factors: Sequence[float],
    max_fields: int,
) -> tuple[dict[str, float], float] | None:
    """The candidate under the threshold with the fewest fields, then the smallest relative change, and its
    probability; None when none is. `score` gets every candidate at once (one batch)."""
    tried = candidates(base, bounds, factors, max_fields)
    if not tried:
        return None
    probabilities = np.asarray(score(tried), dtype="float64")
    under = [i for i in range(len(tried)) if probabilities[i] < threshold]
    if not under:
        return None
    best = min(under, key=lambda i: (len(tried[i]), relative_change(base, tried[i]), probabilities[i]))
    return tried[best], float(probabilities[best])


# ---- on one champion ----------------------------------------------------------------------------------------
def field_bounds(v: ChampionVersion, cfg: CounterfactualConfig) -> dict[str, tuple[float, float]]:
    """The training range of each editable field: quantiles of the known clients' raw values."""
    known = v.store.known_positions()
    out = {}
    low_q, high_q = cfg.bounds_quantiles
    for column in cfg.fields:
        if column not in v.store.app.columns:
            continue
        values = pd.to_numeric(v.store.app[column].iloc[known], errors="coerce").dropna()
        if len(values):
            out[column] = (float(values.quantile(low_q)), float(values.quantile(high_q)))
    return out


def what_would_change(
    v: ChampionVersion, row: pd.DataFrame, cfg: CounterfactualConfig
) -> Counterfactual | None:
    """The smallest change of the editable fields of one raw applicant row that brings it under the
    champion's threshold (None: none within the bounds). The row is not changed."""
    bounds = field_bounds(v, cfg)
    base = {c: float(row[c].iloc[0]) for c in bounds if c in row.columns and pd.notna(row[c].iloc[0])}

    def score(tried: list[dict[str, float]]) -> np.ndarray:
        rows = pd.concat([row] * len(tried), ignore_index=True)
        for column in base:
            rows[column] = [t.get(column, base[column]) for t in tried]
        return v.probability(v.impute(v.features_of_rows(rows)))

    found = search(base, bounds, score, v.threshold, cfg.factors, cfg.max_fields)
    if found is None:
        return None
    values, probability = found
    changes = tuple(
        Change(c, v.labeller.label(c), base[c], new, v.labeller.format(c, base[c]), v.labeller.format(c, new))
        for c, new in values.items()
    )
    return Counterfactual(changes, probability, v.threshold, _term(cfg, base, values))


def _term(
    cfg: CounterfactualConfig, base: dict[str, float], values: dict[str, float]
) -> tuple[float, float] | None:
    """(before, after) of the term (credit / annuity, in annuities) when the change moves it."""
    credit, annuity = cfg.term
    if (
        not (credit in base and annuity in base and (credit in values or annuity in values))
        or not base[annuity]
    ):
        return None
    new_annuity = values.get(annuity, base[annuity])
    before = base[credit] / base[annuity]
    after = values.get(credit, base[credit]) / new_annuity if new_annuity else before
    return None if abs(after - before) < 0.05 else (before, after)


def none_text(v: ChampionVersion, cfg: CounterfactualConfig) -> str:
    return NONE_TEXT.format(fields=", ".join(v.labeller.label(c).lower() for c in cfg.fields))
