"""The one stage runner: params.yaml + KEY=VALUE overrides, one log prefix, exit codes without tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit_scoring.errors import InputDataError
from credit_scoring.stages.runner import EXIT_ERROR, EXIT_USAGE, run_main

ROOT = Path(__file__).resolve().parents[3]
PARAMS = str(ROOT / "params.yaml")


def test_overrides_reach_the_stage(capsys: pytest.CaptureFixture[str]) -> None:
    seen = {}

    def stage(cfg, log) -> None:
        seen["seed"], seen["raw"] = cfg.split.seed, cfg.paths.raw
        log("ran")

    assert run_main("demo", stage, ["--params", PARAMS, "split.seed=7", "paths.raw=/tmp/r"]) == 0
    assert seen == {"seed": 7, "raw": "/tmp/r"}
    out = capsys.readouterr().out
    assert "[demo] ran" in out and "[demo] done in" in out


def test_a_project_error_is_one_message_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    def stage(cfg, log) -> None:
        raise InputDataError("x.csv: column A: 3 values are not numbers\nsecond line")

    assert run_main("demo", stage, ["--params", PARAMS]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "[demo] FAILED: x.csv: column A" in err and "[demo]         second line" in err
    assert "no output was written" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, code",
    [(["--bogus"], EXIT_USAGE), (["not-a-setting"], EXIT_USAGE), (["--help"], 0)],
)
def test_bad_arguments_exit_2_and_help_0(
    argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    def stage(cfg, log) -> None:  # never reached
        raise AssertionError("the stage ran")

    assert run_main("demo", stage, argv) == code
    assert "Traceback" not in capsys.readouterr().err


def test_missing_params_file_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert run_main("demo", lambda cfg, log: None, ["--params", str(missing)]) == EXIT_ERROR
    assert str(missing) in capsys.readouterr().err
