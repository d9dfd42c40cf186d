"""What would change the decision (credit_scoring.serving.counterfactual): the bounded search on a toy
champion whose risk grows with the credit amount, the annuity and the age of the client."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config import compose_config
from credit_scoring.serving.counterfactual import candidates, none_text, search, what_would_change
from credit_scoring.serving.explain import Labeller

CFG = compose_config().serving.counterfactual
THRESHOLD = 0.4


def toy_risk(rows: pd.DataFrame) -> np.ndarray:
    """Risk rises with the credit amount and the annuity, and with age (which the search must not touch)."""
    return (
        0.1
        + 0.5 * rows["AMT_CREDIT"].to_numpy() / 300_000
        + 0.2 * rows["AMT_ANNUITY"].to_numpy() / 30_000
        + rows["DAYS_BIRTH"].to_numpy() / -365.25 / 1000
    )


def toy_champion(base: dict[str, float]) -> SimpleNamespace:
    """A champion-like object: the known clients' raw values set the bounds, the scored rows are recorded."""
    rng = np.random.default_rng(0)
    app = pd.DataFrame(
        {
            "AMT_CREDIT": rng.uniform(50_000, 400_000, 500),
            "AMT_ANNUITY": rng.uniform(5_000, 40_000, 500),
            "AMT_GOODS_PRICE": rng.uniform(50_000, 400_000, 500),
            "DAYS_BIRTH": rng.uniform(-25_000, -7_000, 500),
        }
    )
    scored: list[pd.DataFrame] = []

    def features_of_rows(rows: pd.DataFrame) -> pd.DataFrame:
        scored.append(rows.copy())
        return rows

    return SimpleNamespace(
        store=SimpleNamespace(app=app, known_positions=lambda: np.arange(len(app))),
        labeller=Labeller(compose_config().serving.plain_words),
        threshold=THRESHOLD,
        features_of_rows=features_of_rows,
        impute=lambda rows: rows,
        probability=toy_risk,
        scored=scored,
        row=pd.DataFrame({k: [v] for k, v in base.items()}),
    )


def test_a_refused_client_is_brought_under_the_threshold_by_allowed_fields_only() -> None:
    base = {
        "AMT_CREDIT": 240_000.0,
        "AMT_ANNUITY": 12_000.0,
        "AMT_GOODS_PRICE": 240_000.0,
        "DAYS_BIRTH": -9000.0,
    }
    v = toy_champion(base)
    assert toy_risk(v.row)[0] >= THRESHOLD  # refused as it is
    found = what_would_change(v, v.row, CFG)
    assert found is not None and found.probability < THRESHOLD
    changed = {c.column: c.after for c in found.changes}
    assert set(changed) <= set(CFG.fields) and "DAYS_BIRTH" not in changed
    again = v.row.assign(**changed)
    assert toy_risk(again)[0] == pytest.approx(found.probability) and toy_risk(again)[0] < THRESHOLD
    assert len(v.scored) == 1  # every candidate in one batch
    batch = v.scored[0]
    assert len(batch) > 1 and (batch["DAYS_BIRTH"] == base["DAYS_BIRTH"]).all()
    assert len(found.changes) == 1  # one field suffices here: no second field is changed
    sentence = found.sentence()
    assert "instead of 240,000" in sentence and "would be granted" in sentence
    assert v.row["AMT_CREDIT"].iloc[0] == base["AMT_CREDIT"]  # the client's row is not changed


def test_no_counterfactual_when_none_exists_within_the_bounds() -> None:
    base = {
        "AMT_CREDIT": 240_000.0,
        "AMT_ANNUITY": 24_000.0,
        "AMT_GOODS_PRICE": 240_000.0,
        "DAYS_BIRTH": -9000.0,
    }
    v = toy_champion(base)
    v.probability = lambda rows: np.full(len(rows), 0.9)  # nothing the client can change helps
    assert what_would_change(v, v.row, CFG) is None
    assert "No change" in none_text(v, CFG) and "credit amount" in none_text(v, CFG)


def test_candidates_stay_within_the_bounds_and_fewest_fields_come_first() -> None:
    base = {"A": 100.0, "B": 10.0, "C": float("nan")}
    bounds = {"A": (60.0, 120.0), "B": (1.0, 100.0), "C": (0.0, 1.0)}
    tried = candidates(base, bounds, [0.5, 0.8, 1.1, 1.5], max_fields=2)
    assert all(60.0 <= t["A"] <= 120.0 for t in tried if "A" in t)
    assert not any("C" in t for t in tried)  # a missing field is not invented
    sizes = [len(t) for t in tried]
    assert sizes == sorted(sizes) and max(sizes) == 2
    best = search(
        base,
        bounds,
        lambda ts: np.array([0.1 if t.get("A", 100) < 90 else 0.9 for t in ts]),
        0.5,
        [0.5, 0.8, 1.1, 1.5],
        2,
    )
    assert best is not None and best[0] == {"A": 80.0}  # the smallest single change that crosses
