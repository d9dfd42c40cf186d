"""The data of the context charts of one champion version: the numeric features to choose from, the
global importance, a feature's distribution for the known clients and for a client's nearest neighbours,
two features against each other, all in the units shown to people and with the clients' outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.errors import InputDataError
from credit_scoring.serving.results import ScoreResult

if TYPE_CHECKING:
    from credit_scoring.serving.champion import ChampionVersion


def choices(v: ChampionVersion) -> list[tuple[str, str]]:
    """(label, feature) of the numeric features, most important first (for the context charts)."""
    numeric = set(v.numeric)
    return [
        (f"{label}", f)
        for f, label in zip(v.importance["feature"], v.importance["label"], strict=True)
        if f in numeric
    ]


def shown_values(v: ChampionVersion, feature: str, positions: np.ndarray) -> np.ndarray:
    """A feature's values (shown unit) for the clients at store positions."""
    if feature not in v.column_index:
        raise InputDataError(f"unknown feature {feature!r}")
    raw = v.features[positions, v.column_index[feature]].astype("float64")
    return v.labeller.shown(feature, raw)


def client_value(v: ChampionVersion, feature: str, result: ScoreResult) -> float | None:
    """The scored client's own value of a feature (shown unit; None: missing)."""
    assert result.features is not None
    raw = float(result.features[v.column_index[feature]])
    return None if np.isnan(raw) else float(v.labeller.shown(feature, raw))


def _values_frame(v: ChampionVersion, positions: np.ndarray, **features: str) -> pd.DataFrame:
    columns = {name: shown_values(v, f, positions) for name, f in features.items()}
    return pd.DataFrame({**columns, "outcome": v.store.outcomes(positions)})


def distribution(v: ChampionVersion, feature: str, result: ScoreResult | None) -> dict[str, Any]:
    """A feature's values (shown unit) for the known clients and for the client's nearest neighbours,
    with their outcome, and the client's own value."""
    everyone = _values_frame(v, v.context_positions, value=feature)
    similar = pd.DataFrame(columns=["value", "outcome"])
    value = None
    if result is not None and result.features is not None:
        exclude = v.store.find(result.client_id) if result.client_id is not None else None
        similar = _values_frame(v, v.neighbours.of(result.features, exclude), value=feature)
        value = client_value(v, feature, result)
    return {
        "feature": feature,
        "label": v.labeller.label(feature),
        "unit": v.labeller.spec(feature).unit,
        "all": everyone.dropna(),
        "similar": similar.dropna(),
        "client_value": value,
        "k": v.cfg.neighbours,
    }


def bivariate(v: ChampionVersion, x: str, y: str, result: ScoreResult | None) -> dict[str, Any]:
    """Two features (shown units) of a sample of known clients with their outcome, and the client."""
    frame = _values_frame(v, v.context_positions[: v.cfg.scatter_rows], x=x, y=y).dropna()
    client = None
    if result is not None and result.features is not None:
        cx, cy = client_value(v, x, result), client_value(v, y, result)
        client = None if cx is None or cy is None else (cx, cy)
    labels = {
        f: v.labeller.label(f) + (f" ({v.labeller.spec(f).unit})" if v.labeller.spec(f).unit else "")
        for f in (x, y)
    }
    return {"frame": frame, "client": client, "x_label": labels[x], "y_label": labels[y]}
