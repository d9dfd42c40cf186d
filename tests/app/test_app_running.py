"""The running app, driven with gradio_client as a client program would: scores, what-if, batch, errors,
access, model info and the reload of a new champion. Scores are checked against
`mlflow.pyfunc.load_model("models:/credit_scoring-home_credit@champion")` on the same raw rows.

The reload test moves the alias (to a copy of the same model), so it runs last.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from credit_scoring.features.rows import applicant_rows
from credit_scoring.tracking.store import use_tracking_uri

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def client(app_server, tmp_path_factory: pytest.TempPathFactory):
    from gradio_client import Client

    downloads = tmp_path_factory.mktemp("downloads")
    c = Client(app_server.url, auth=app_server.auth, verbose=False, download_files=str(downloads))
    yield c
    c.close()


@pytest.fixture(scope="module")
def reference(champion) -> Iterator[dict]:
    """The champion pyfunc (loaded by alias, as a client of the registry would) and the clients' raw rows."""
    import mlflow

    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    use_tracking_uri(champion.tracking_uri)
    mlflow.set_registry_uri(champion.tracking_uri)
    try:
        model = mlflow.pyfunc.load_model("models:/credit_scoring-home_credit@champion")
        pipeline = model.unwrap_python_model().pipeline
        ds = pipeline.preprocessor.dataset
        side = pd.read_parquet(champion.merge / "side_features.parquet")
        production = applicant_rows(
            pd.read_parquet(champion.ingest / f"{ds.production_table}.parquet"), side, ds
        )
        known = applicant_rows(pd.read_parquet(champion.ingest / f"{ds.train_table}.parquet"), side, ds)
        yield {"model": model, "pipeline": pipeline, "ds": ds, "production": production, "known": known}
    finally:
        use_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])


def _expected(reference: dict, rows: pd.DataFrame) -> np.ndarray:
    return (
        reference["model"]
        .predict(rows.drop(columns=[reference["ds"].target], errors="ignore"))["probability"]
        .to_numpy()
    )


def _row(reference: dict, table: str, client_id: int) -> pd.DataFrame:
    frame = reference[table]
    return frame.loc[frame[reference["ds"].id] == client_id].reset_index(drop=True)


def _check_result(result: dict, expected: float, threshold: float) -> None:
    assert result["probability"] == pytest.approx(expected, abs=TOLERANCE)
    assert result["threshold"] == pytest.approx(threshold)
    assert result["decision"] == ("refused" if expected >= threshold else "granted")
    assert result["distance_to_threshold"] == pytest.approx(expected - threshold, abs=TOLERANCE)
    reasons = result["reasons"]
    assert reasons, "a LightGBM champion always has reasons"
    assert all(r["text"].endswith(("raises the risk", "lowers the risk")) for r in reasons)
    sizes = [abs(r["contribution"]) for r in reasons]
    assert sizes == sorted(sizes, reverse=True)


def test_score_known_and_production_clients_equals_the_champion(client, reference) -> None:
    ds, threshold = reference["ds"], reference["pipeline"].threshold
    for table, source in (("production", "production"), ("known", "known")):
        ids = reference[table][ds.id].to_numpy()[[0, len(reference[table]) // 2, -1]]
        rows = reference[table].loc[reference[table][ds.id].isin(ids)].reset_index(drop=True)
        expected = dict(zip(rows[ds.id], _expected(reference, rows), strict=True))
        for cid in ids:
            result = client.predict(str(cid), api_name="/score")
            assert result["client_id"] == int(cid) and result["source"] == source
            _check_result(result, expected[cid], threshold)
            if source == "known":
                assert result["known_outcome"] in ("repaid", "defaulted")
    numeric = client.predict(int(ids[0]), api_name="/score")  # a number works as well as text
    assert numeric["client_id"] == int(ids[0])


def test_unknown_and_malformed_client_ids_get_a_message(client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="unknown client 999999999"):
        client.predict("999999999", api_name="/score")
    with pytest.raises(AppError, match="'abc' is not a number"):
        client.predict("abc", api_name="/score")
    with pytest.raises(AppError, match="enter a client id"):
        client.predict("", api_name="/score")


def test_what_if_on_a_known_client_and_a_new_client(client, reference) -> None:
    ds, threshold = reference["ds"], reference["pipeline"].threshold
    cid = int(reference["known"][ds.id].iloc[3])
    changes = {
        "EXT_SOURCE_3": 0.05,
        "AMT_CREDIT": 900000.0,
        "NAME_INCOME_TYPE": "Unemployed",
        "FLAG_OWN_CAR": "Y",
    }
    result = client.predict({ds.id: cid, **changes}, api_name="/score_features")
    row = _row(reference, "known", cid)
    for column, value in changes.items():
        row[column] = row[column].astype(object) if column == "NAME_INCOME_TYPE" else row[column]
        row.loc[0, column] = 1 if column == "FLAG_OWN_CAR" else value
    assert result["source"] == "what-if" and result["client_id"] == cid
    _check_result(result, float(_expected(reference, row)[0]), threshold)
    unchanged = client.predict({ds.id: cid}, api_name="/score_features")
    assert unchanged["probability"] == pytest.approx(
        client.predict(str(cid), api_name="/score")["probability"], abs=TOLERANCE
    )

    new = {
        "AMT_INCOME_TOTAL": 120000,
        "AMT_CREDIT": "450000",
        "AMT_ANNUITY": 21000.5,
        "DAYS_BIRTH": -12000,
        "NAME_INCOME_TYPE": "Working",
        "EXT_SOURCE_2": 0.4,
    }
    result = client.predict(new, api_name="/score_features")
    assert result["source"] == "new" and result["client_id"] is None
    frame = pd.DataFrame([{k: (float(v) if k != "NAME_INCOME_TYPE" else v) for k, v in new.items()}])
    _check_result(result, float(_expected(reference, frame)[0]), threshold)


def test_bad_fields_are_named(client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="field AMT_INCOME_TOTAL: 'a lot' is not a number"):
        client.predict({"AMT_INCOME_TOTAL": "a lot"}, api_name="/score_features")
    with pytest.raises(AppError, match="unknown field INCOME"):
        client.predict({"INCOME": 1000}, api_name="/score_features")
    with pytest.raises(AppError, match="field FLAG_OWN_CAR"):
        client.predict({"FLAG_OWN_CAR": "perhaps"}, api_name="/score_features")


def test_batch_scoring_equals_the_champion(client, reference, champion, tmp_path: Path) -> None:
    from gradio_client import handle_file

    ds = reference["ds"]
    applications = pd.read_csv(champion.raw / f"{ds.production_table}.csv").head(12)
    path = tmp_path / "applications.csv"
    applications.to_csv(path, index=False)
    scored_path, message = client.predict(handle_file(str(path)), api_name="/score_batch")
    scored = pd.read_csv(scored_path)
    assert "12 applications scored" in message and "applications.csv" in message
    assert list(scored[ds.id]) == list(applications[ds.id])
    rows = reference["production"].set_index(ds.id).loc[applications[ds.id]].reset_index()
    expected = _expected(reference, rows)
    np.testing.assert_allclose(scored["probability"], expected, atol=1e-6)  # written with 6 decimals
    threshold = reference["pipeline"].threshold
    assert set(scored["decision"]) <= {"granted", "refused"}
    assert (scored["decision"] == np.where(scored["probability"] >= threshold, "refused", "granted")).all()
    assert scored["reason_1"].str.endswith("the risk").all()


def _bad_files(folder: Path, good: pd.DataFrame) -> dict[str, tuple[Path, str]]:
    files: dict[str, tuple[Path, str]] = {}
    empty = folder / "empty.csv"
    empty.write_bytes(b"")
    files["empty"] = (empty, "empty.csv: file is empty")
    header = folder / "header_only.csv"
    good.head(0).to_csv(header, index=False)
    files["header"] = (header, "header_only.csv: has a header but no data rows")
    missing = folder / "missing_columns.csv"
    good.drop(columns=["AMT_CREDIT", "EXT_SOURCE_3"]).to_csv(missing, index=False)
    files["missing"] = (missing, "2 required columns are missing: AMT_CREDIT, EXT_SOURCE_3")
    text = good.astype({"AMT_ANNUITY": object})
    text.loc[1, "AMT_ANNUITY"] = "twelve"
    malformed = folder / "malformed.csv"
    text.to_csv(malformed, index=False)
    files["malformed"] = (malformed, "column AMT_ANNUITY has 1 non-numeric value")
    ragged = folder / "ragged.csv"
    ragged.write_text(good.to_csv(index=False) + "1,2,3\n")
    files["ragged"] = (ragged, "wrong number of fields")
    other = folder / "semicolons.csv"
    other.write_text("SK_ID_CURR;AMT_CREDIT\n1;2\n")
    files["semicolons"] = (other, "semicolons.csv: not comma-separated")
    return files


def test_empty_and_malformed_csv_get_a_message(client, champion, tmp_path: Path) -> None:
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    good = pd.read_csv(champion.raw / "application_test.csv").head(5)
    for name, (path, message) in _bad_files(tmp_path, good).items():
        with pytest.raises(AppError) as info:
            client.predict(handle_file(str(path)), api_name="/score_batch")
        assert message in str(info.value), f"{name}: {info.value}"
        assert "Traceback" not in str(info.value)


def test_access_needs_the_password_and_reads_no_other_file(app_server, client, repo_root: Path) -> None:
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a bare ValueError / HTTP error
        Client(app_server.url, verbose=False)
    with pytest.raises(Exception):  # noqa: B017
        Client(app_server.url, auth=(app_server.auth[0], "wrong"), verbose=False)
    assert httpx.get(f"{app_server.url}/config").status_code in (401, 403)
    signed_in = httpx.Client(cookies=client.cookies)
    for path in (
        repo_root / "params.yaml",
        repo_root / "conf" / "serving" / "default.yaml",
        Path("/etc/passwd"),
    ):
        response = signed_in.get(f"{app_server.url}/gradio_api/file={path}")
        assert response.status_code in (403, 404), path
    smuggled = {"path": str(repo_root / "params.yaml"), "meta": {"_type": "gradio.FileData"}}
    response = signed_in.post(f"{app_server.url}/gradio_api/run/score_batch", json={"data": [smuggled]})
    assert response.status_code >= 400 and "not uploaded by a user" in response.text
    assert "dataset" not in response.text and "applications scored" not in response.text


def test_model_info_describes_the_champion(client, reference, champion) -> None:
    from mlflow.tracking import MlflowClient

    version = MlflowClient(champion.tracking_uri, champion.tracking_uri).get_model_version_by_alias(
        "credit_scoring-home_credit", "champion"
    )
    info = client.predict(api_name="/model_info")
    assert info["version"] == str(version.version) and info["run_id"] == version.run_id
    assert info["threshold"] == pytest.approx(reference["pipeline"].threshold)
    assert (info["cost_false_negative"], info["cost_false_positive"]) == (10.0, 1.0)
    assert "roc_auc" in info["test_metrics"] and info["trained_at"].endswith("UTC")
    assert client.predict(api_name="/ping") == {"status": "ok", "model_version": info["version"]}


def test_a_new_champion_is_served_without_a_restart(client, champion) -> None:
    import time

    from mlflow.tracking import MlflowClient

    registry = MlflowClient(champion.tracking_uri, champion.tracking_uri)
    current = registry.get_model_version_by_alias("credit_scoring-home_credit", "champion")
    new = registry.create_model_version("credit_scoring-home_credit", current.source, run_id=current.run_id)
    registry.set_registered_model_alias("credit_scoring-home_credit", "champion", new.version)
    deadline = time.monotonic() + 180
    info = client.predict(api_name="/model_info")
    while info["version"] != str(new.version) and time.monotonic() < deadline:
        time.sleep(2)
        info = client.predict(api_name="/model_info")
    assert info["version"] == str(new.version), "the app kept serving the old champion"
    some_id = client.predict({"AMT_INCOME_TOTAL": 1}, api_name="/score_features")
    assert some_id["model_version"] == str(new.version)
