"""On the real tiny champion: what would change a refused client's decision (the search's answer scored
again through the service crosses the threshold, only editable fields change), and the what-if form of a
new client starts from a typical client, never from zeros, with out-of-range values flagged."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def service(champion, params_file):
    import mlflow

    from credit_scoring.config import load_config
    from credit_scoring.serving.service import ScoringService
    from credit_scoring.tracking.store import use_tracking_uri

    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mp = pytest.MonkeyPatch()
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load_config(
        params_file,
        [
            f"registry.tracking_uri={champion.tracking_uri}",
            f"paths.ingest={champion.ingest}",
            f"paths.merge={champion.merge}",
            "serving.reload_seconds=0",
            "serving.context_rows=300",
            "serving.importance_rows=100",
            "serving.neighbours=20",
        ],
    )
    try:
        yield ScoringService(cfg)
    finally:
        mp.undo()
        use_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])


def test_a_refused_client_is_told_what_would_change(service) -> None:
    v = service.champion
    refused = np.flatnonzero(v.probability(v.matrix) >= v.threshold)
    assert len(refused), "the tiny champion refuses nobody"
    found = None
    for position in refused[:20]:
        cid = int(service.store.ids[position])
        found = service.what_would_change(cid)
        if found is not None:
            break
    assert found is not None, "no refused client of the tiny dataset can be granted within the bounds"
    allowed = set(service.serving.counterfactual.fields)
    assert {c.column for c in found.changes} <= allowed
    again = service.score_fields({v.ds.id: cid, **{c.column: c.after for c in found.changes}})
    assert again.probability == pytest.approx(found.probability) and not again.refused
    assert "would be granted" in found.sentence()
    granted = int(service.store.ids[np.flatnonzero(v.probability(v.matrix) < v.threshold)[0]])
    assert service.what_would_change(granted) is None


def test_a_new_client_starts_typical_and_out_of_range_values_are_flagged(service) -> None:
    typical = service.typical_values()
    numbers = [f.column for f in service.what_if_fields() if f.kind == "numeric"]
    assert numbers and all(typical[c] is not None for c in numbers)
    assert typical["DAYS_BIRTH"] > 18 and typical["AMT_INCOME_TOTAL"] > 0  # years of age, an income
    raw = service.raw_fields({**typical, "AMT_INCOME_TOTAL": 1e12})
    flagged = service.out_of_range(raw)
    assert [label for label, *_ in flagged] == ["Annual income"]
    assert service.out_of_range(service.raw_fields(typical)) == []


def test_a_new_clients_form_holds_no_zero_nobody_typed(service) -> None:
    from app.handlers import Handlers
    from app.layout import field_words

    handlers = Handlers(service)
    typical = service.typical_values()
    base_id, text, *values = handlers.typical("fr")
    shown = dict(zip([f.column for f in handlers.fields], values, strict=True))
    numbers = [f.column for f in handlers.fields if f.kind == "numeric"]
    assert base_id is None and "médiane est 0" in text
    assert not [c for c in numbers if shown[c] in ("0", "0.0")]  # no 0 the user did not type
    zeros = [c for c in numbers if typical[c] == 0]
    assert all(shown[c] == "" for c in zeros)  # a 0 median is left empty (missing) ...
    assert all(shown[c] not in ("", None) for c in numbers if c not in zeros)  # ... the other medians shown
    _, _, *blank = handlers.blank("en")
    assert all(v in ("", None) for v in blank)
    words = {f.column: field_words(f, service.labeller("fr"), "fr") for f in handlers.fields}
    assert (
        words["AMT_INCOME_TOTAL"]["label"] == "Revenu annuel" and words["DAYS_BIRTH"]["label"] == "Âge (ans)"
    )
    assert ("oui", "yes") in words["FLAG_OWN_CAR"]["choices"]
