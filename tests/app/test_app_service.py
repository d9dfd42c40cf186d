"""The scoring service in process, on the real tiny champion: every client's score equals the pyfunc's,
what-if round trips, and a champion version that cannot be loaded does not stop the app."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def service(champion, params_file) -> Iterator:
    """The service of the pipeline's configuration: the store, the clients and the app settings all come
    from `registry.*`, `paths.*` and `serving.*` overrides (MLFLOW_TRACKING_URI unset)."""
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


def test_the_pipeline_configuration_reaches_the_service(service, champion) -> None:
    assert service.tracking_uri == champion.tracking_uri == service.champion.card.tracking_uri
    assert service.catalog.folder("ingest") == champion.ingest
    assert service.catalog.folder("merge") == champion.merge
    assert (service.serving.neighbours, service.champion.card.alias) == (20, "champion")


def test_every_client_scores_like_the_pyfunc(service) -> None:
    v = service.champion
    rows = service.store.rows(slice(0, len(service.store)))
    expected = v.pyfunc.predict(rows)["probability"].to_numpy()
    np.testing.assert_allclose(v.probability(v.matrix), expected, rtol=0, atol=1e-12)
    some = np.linspace(0, len(service.store) - 1, 25).astype(int)
    single = [service.score_client(int(service.store.ids[p])).probability for p in some]
    np.testing.assert_allclose(single, expected[some], rtol=0, atol=1e-12)  # the one-row fast path


def test_what_if_form_round_trip_changes_nothing(service) -> None:
    cid = int(service.store.ids[np.flatnonzero(service.store.source == "known")[0]])
    shown = service.shown_values(cid)
    assert set(shown) == {f.column for f in service.what_if_fields()}
    raw = service.raw_fields(shown, cid)
    assert raw == {service.champion.ds.id: cid}  # nothing edited: only the base client
    assert service.score_fields(raw).probability == pytest.approx(
        service.score_client(cid).probability, abs=1e-12
    )
    shown["EXT_SOURCE_3"] = 0.01
    edited = service.raw_fields(shown, cid)
    assert edited == {service.champion.ds.id: cid, "EXT_SOURCE_3": 0.01}


def test_what_if_columns_give_the_features_of_the_edited_row(service) -> None:
    """The what-if path (the stored client column by column, no frame) builds exactly the features of the
    frame path (the stored row with the edited columns replaced), over production and known clients, with
    numbers, a category (one unseen), a flag, a side feature and a missing value edited."""
    from credit_scoring.serving.requests import columns_from_fields, row_from_fields

    v, store = service.champion, service.store
    plan = v.pipeline.preprocessor.column_plan()  # the columns are read by the plan, not the reference
    id_col = v.ds.id
    side = v.side_columns[0]
    edits = [
        {},
        {"AMT_CREDIT": 123456.0, "EXT_SOURCE_3": 0.01},
        {"NAME_INCOME_TYPE": "Astronaut", "FLAG_OWN_CAR": "Y"},
        {"NAME_INCOME_TYPE": "Working", "DAYS_EMPLOYED": 365243, side: 3.5},
        {"AMT_ANNUITY": None, side: None},
    ]
    positions = np.linspace(0, len(store) - 1, 12).astype(int)
    for position in positions:
        for edit in edits:
            fields = {id_col: int(store.ids[position]), **edit}
            columns, cid, at = columns_from_fields(v, fields)
            row, cid_row, at_row = row_from_fields(v, fields)
            assert (cid, at) == (cid_row, at_row) == (int(store.ids[position]), position)
            fast, reference = v.features_of_columns(columns), v.features_of_rows(row)
            assert plan.matrix_of_read(*plan.read_values(plan.read_columns(columns, 1))) is not None
            np.testing.assert_array_equal(fast, reference)
            assert v.notices_of_columns(columns) == v.notices_of_columns(
                {c: row[c].to_numpy() for c in row.columns}
            )
        np.testing.assert_array_equal(  # nothing edited: the stored features of the client
            v.features_of_columns(columns_from_fields(v, {id_col: int(store.ids[position])})[0]),
            v.features[position : position + 1],
        )
    new_client = {"AMT_CREDIT": 200000.0, "NAME_INCOME_TYPE": "Working"}
    np.testing.assert_array_equal(
        v.features_of_columns(columns_from_fields(v, new_client)[0]),
        v.features_of_rows(row_from_fields(v, new_client)[0]),
    )


def test_context_data(service) -> None:
    result = service.score_client(int(service.store.ids[0]))
    feature = service.choices()[0][1]
    data = service.distribution(feature, result)
    assert len(data["all"]) > 0 and 0 < len(data["similar"]) <= 20
    assert set(data["all"]["outcome"]) <= {"repaid", "defaulted"}
    pair = service.bivariate(service.choices()[0][1], service.choices()[1][1], result)
    assert len(pair["frame"]) > 0
    importance = service.importance(10)
    assert importance["importance"].is_monotonic_decreasing and (importance["importance"] > 0).any()


def test_a_version_that_cannot_be_loaded_keeps_the_current_one(service, champion) -> None:
    from mlflow.tracking import MlflowClient

    registry = MlflowClient(champion.tracking_uri, champion.tracking_uri)
    current = registry.get_model_version_by_alias("credit_scoring-home_credit", "champion")
    serving = service.champion.card.version
    calls = []
    real_loader = service._load_model

    def broken(uri: str):
        calls.append(uri)
        raise RuntimeError("corrupt model")

    bad = registry.create_model_version("credit_scoring-home_credit", current.source, run_id=current.run_id)
    registry.set_registered_model_alias("credit_scoring-home_credit", "champion", bad.version)
    service._load_model = broken
    try:
        assert service.refresh() is False
        assert service.champion.card.version == serving
        assert f"version {bad.version} could not be loaded" in service.model_info()["last_alias_check_error"]
        assert service.refresh() is False and len(calls) == 1  # not retried on every check
        service._load_model = real_loader
        assert service.refresh(retry_failed=True) is True
        assert service.champion.card.version == str(bad.version)
    finally:
        service._load_model = real_loader
        registry.set_registered_model_alias("credit_scoring-home_credit", "champion", current.version)


# ---- app inputs corpus: plausibility notices beside the score, a non-UTF-8 upload ------------------------------
def test_implausible_numbers_are_scored_with_a_notice(service) -> None:
    result = service.score_fields({"AMT_INCOME_TOTAL": -5000, "AMT_CREDIT": 1e308})
    assert np.isfinite(result.probability)
    assert result.notices == [
        "AMT_INCOME_TOTAL = -5000 is outside its plausible range [0, 1e+09]",
        "AMT_CREDIT = 1e+308 is outside its plausible range [0, 1e+09]",
    ]


def test_an_unknown_category_level_is_scored_with_a_notice(service) -> None:
    result = service.score_fields({"NAME_INCOME_TYPE": "Astronaut"})
    assert result.notices == [
        "NAME_INCOME_TYPE = 'Astronaut' is a level the model never saw (scored as an unknown level)"
    ]
    assert service.score_fields({"NAME_INCOME_TYPE": "Working"}).notices == []


def test_batch_notices_and_a_non_utf8_upload(service, champion, tmp_path) -> None:
    import pandas as pd

    from credit_scoring.errors import InputDataError

    rows = pd.read_csv(champion.raw / "application_test.csv", dtype=str, keep_default_na=False).head(3)
    rows.loc[1, "AMT_INCOME_TOTAL"] = "-1"
    good = tmp_path / "upload.csv"
    rows.to_csv(good, index=False)
    scored = service.score_csv(good, name="clients.csv").frame
    assert list(scored["notices"] == "") == [True, False, True]
    assert scored["notices"][1] == "AMT_INCOME_TOTAL = -1 is outside its plausible range [0, 1e+09]"

    bad = tmp_path / "tmp123.csv"
    data = good.read_bytes().split(b"\n")
    data[2] = data[2].replace(b"Cash loans", b"Cash l\xf6ans", 1)
    bad.write_bytes(b"\n".join(data))
    with pytest.raises(InputDataError) as err:
        service.score_csv(bad, name="clients.csv")
    assert str(err.value) == (
        "clients.csv: line 3 (column NAME_CONTRACT_TYPE) holds bytes that are not valid UTF-8 (b'\\xf6'): "
        "save the file as UTF-8"
    )
