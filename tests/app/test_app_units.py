"""Unit tests of the app's library pieces: input parsing, access rules, configuration, charts and texts."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.config import ColumnType, compose_config, load_config
from credit_scoring.config.serving import AuthConfig
from credit_scoring.errors import ConfigError, InputDataError
from credit_scoring.serving.access import check_binding, credentials_from_env, is_loopback
from credit_scoring.serving.explain import LOWERS, RAISES, Reason
from credit_scoring.serving.requests import parse_client_id, parse_value
from credit_scoring.serving.results import ScoreResult


@pytest.mark.parametrize(
    ("value", "expected"), [("100002", 100002), (" 7 ", 7), (12, 12), (12.0, 12), ("3e2", 300)]
)
def test_client_id_parsed(value: object, expected: int) -> None:
    assert parse_client_id(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "not a number"),
        ("1.5", "whole number"),
        ("", "enter a client id"),
        (None, "enter a client id"),
        (True, "whole number"),
    ],
)
def test_bad_client_id_explained(value: object, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        parse_client_id(value)


def test_field_values_parsed() -> None:
    assert parse_value("AMT_CREDIT", ColumnType.float, "12000.5") == 12000.5
    assert np.isnan(parse_value("AMT_CREDIT", ColumnType.float, ""))
    assert parse_value("FLAG_OWN_CAR", ColumnType.flag, "Y") == 1.0
    assert parse_value("FLAG_OWN_CAR", ColumnType.flag, "no") == 0.0
    assert parse_value("NAME_INCOME_TYPE", ColumnType.category, " Working ") == "Working"
    assert parse_value("NAME_INCOME_TYPE", ColumnType.category, None) is None
    with pytest.raises(InputDataError, match="field AMT_CREDIT: 'lots' is not a number"):
        parse_value("AMT_CREDIT", ColumnType.float, "lots")
    with pytest.raises(InputDataError, match="CNT_CHILDREN: 1.5 is not a whole number"):
        parse_value("CNT_CHILDREN", ColumnType.int, 1.5)
    with pytest.raises(InputDataError, match="not a finite number"):
        parse_value("AMT_CREDIT", ColumnType.float, float("inf"))
    with pytest.raises(InputDataError, match="yes/no"):
        parse_value("FLAG_OWN_CAR", ColumnType.flag, "maybe")


def test_binding_beyond_loopback_needs_authentication() -> None:
    assert (
        is_loopback("127.0.0.1")
        and is_loopback("localhost")
        and is_loopback("::1")
        and is_loopback("127.0.0.2")
    )
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")
    check_binding("127.0.0.1", None, False)
    check_binding("0.0.0.0", ("u", "p"), False)
    check_binding("0.0.0.0", None, True)  # explicitly allowed
    with pytest.raises(ConfigError, match="refusing to bind 0.0.0.0 without authentication"):
        check_binding("0.0.0.0", None, False)


def test_credentials_come_from_the_environment_only() -> None:
    auth = AuthConfig(user_env="U", password_env="P")
    assert credentials_from_env(auth, {}) is None
    assert credentials_from_env(auth, {"U": "rm", "P": "secret"}) == ("rm", "secret")
    with pytest.raises(ConfigError, match="P is empty"):
        credentials_from_env(auth, {"U": "rm"})
    names = compose_config().serving.auth
    assert names.user_env and names.password_env  # names only: the YAML holds no secret


def test_app_configuration_overrides_and_errors(params_file, tmp_path) -> None:
    cfg = load_config(params_file, ["serving.port=7999", "serving.reasons=3", "registry.alias=production"])
    assert (cfg.serving.port, cfg.serving.reasons, cfg.serving.host) == (7999, 3, "127.0.0.1")
    assert cfg.registry.alias == "production"
    with pytest.raises(ConfigError, match="invalid configuration"):
        load_config(params_file, ["serving.no_such_key=1"])
    with pytest.raises(ConfigError, match="serving.reasons must be at least 1"):
        load_config(params_file, ["serving.reasons=0"])
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_relative_paths_are_taken_from_the_project_root(tmp_path) -> None:
    from credit_scoring.serving.service import project_paths

    paths = project_paths(compose_config([f"paths.merge={tmp_path}"]).paths, root=tmp_path / "project")
    assert paths.ingest == str(tmp_path / "project" / "artifacts" / "ingest")
    assert paths.merge == str(tmp_path)  # absolute: as given


def _result(refused: bool) -> ScoreResult:
    reasons = [
        Reason(
            "EXT_SOURCE_3",
            "External score 3",
            "0.21",
            "low",
            0.8,
            RAISES,
            f"External score 3 is low (0.21): {RAISES}",
        ),
        Reason(
            "NAME_INCOME_TYPE",
            "Income type",
            "Working",
            "",
            -0.2,
            LOWERS,
            f"Income type is Working: {LOWERS}",
        ),
    ]
    p = 0.23 if refused else 0.04
    return ScoreResult(100002, "production", p, 0.1, refused, reasons, "3", None, np.zeros(3))


def test_result_in_words() -> None:
    refused = _result(True)
    assert refused.decision == "refused" and refused.distance == pytest.approx(0.13)
    assert "13.0 percentage points above the threshold of 10.0%" in refused.summary()
    d = _result(False).to_dict()
    assert d["decision"] == "granted" and d["reasons"][1]["text"].endswith(LOWERS)


def test_every_chart_has_a_title_and_words_beside_colours() -> None:
    import pandas as pd

    from app import charts

    refused = _result(True)
    figures = [
        charts.gauge(refused),
        charts.gauge(_result(False)),
        charts.reasons_chart(refused.reasons),
        charts.reasons_chart([]),
        charts.importance_chart(pd.DataFrame({"feature": ["A"], "label": ["a"], "importance": [0.5]})),
    ]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"value": rng.normal(size=200), "outcome": np.where(rng.random(200) < 0.2, "defaulted", "repaid")}
    )
    data = {
        "label": "External score 3",
        "unit": "",
        "all": frame,
        "similar": frame.head(50),
        "client_value": 0.1,
    }
    figures += [charts.distribution_chart(data, "all"), charts.distribution_chart(data, "similar")]
    scatter = pd.DataFrame({"x": frame["value"], "y": frame["value"] ** 2, "outcome": frame["outcome"]})
    figures.append(
        charts.bivariate_chart({"frame": scatter, "client": (0.1, 0.01), "x_label": "x", "y_label": "y"})
    )
    for fig in figures:
        assert fig.layout.title.text, "every chart needs a title"
    assert "REFUSED" in figures[0].layout.title.text and "GRANTED" in figures[1].layout.title.text
    bars = figures[2].data[0]
    assert [y.endswith(("<i>lowers the risk</i>", "<i>raises the risk</i>")) for y in bars.y] == [True, True]
    assert "lowers the risk" in bars.y[0] and "raises the risk" in bars.y[1]  # words beside the colours
    assert set(bars.marker.color) == {charts.VERMILLION, charts.BLUE}
    assert {t.name.split(" ")[0] for t in figures[5].data} == {"repaid", "defaulted"}
    okabe_ito = {"#0072B2", "#D55E00", "#56B4E9", "#E69F00", "#999999", "#000000"}
    assert {charts.BLUE, charts.VERMILLION, charts.SKY, charts.ORANGE} <= okabe_ito


def test_decision_text_never_relies_on_colour() -> None:
    from app.texts import decision_markdown, reasons_markdown

    text = decision_markdown(_result(True))
    assert "REFUSED" in text and "probability of default is 23.0%" in text
    assert "GRANTED" in decision_markdown(_result(False))
    assert "1. External score 3 is low (0.21): raises the risk" in reasons_markdown(_result(True))


def test_public_binding_without_auth_is_refused_at_start(params_file, monkeypatch, capsys) -> None:
    from app.main import main

    monkeypatch.delenv("CREDIT_APP_USER", raising=False)
    monkeypatch.delenv("CREDIT_APP_PASSWORD", raising=False)
    assert main(["--params", str(params_file), "serving.host=0.0.0.0"]) == 2
    assert "refusing to bind 0.0.0.0 without authentication" in capsys.readouterr().err


def test_bad_arguments_and_configuration_stop_the_app_at_start(params_file, tmp_path, capsys) -> None:
    from app.main import main

    assert main(["--params", str(params_file), "port"]) == 2  # not KEY=VALUE
    assert "unexpected argument 'port'" in capsys.readouterr().err
    assert main(["--params", str(params_file), "serving.no_such_key=1"]) == 2
    assert "invalid configuration" in capsys.readouterr().err
    assert main(["--params", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml not found" in capsys.readouterr().err
    assert main(["--params", str(params_file), "--no-such-option"]) == 2  # typer's own usage error
    err = capsys.readouterr().err
    assert "No such option" in err and "Traceback" not in err
    assert main(["--help"]) == 0
