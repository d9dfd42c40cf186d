"""The command-line interface: help texts, one-line errors with exit code 2, and a small generation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from credit_scoring.cli.main import app

RAW_FILES = [
    "application_train.csv",
    "application_test.csv",
    "bureau.csv",
    "bureau_balance.csv",
    "previous_application.csv",
    "POS_CASH_balance.csv",
    "credit_card_balance.csv",
    "installments_payments.csv",
]
ORACLE_FILES = ["oracle.csv", "drift_manifest.json"]

runner = CliRunner()


def _command_names() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def _files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# --- help -------------------------------------------------------------------------------------------


def test_app_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    for name in _command_names():
        assert name in result.output


def test_generate_is_a_command() -> None:
    assert "generate" in _command_names()


@pytest.mark.parametrize("name", _command_names())
def test_every_command_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = typer.main.get_command(app).commands[name]
    assert command.help and len(command.help.strip()) > 40, f"{name} needs a helpful docstring"


def test_generate_help_documents_every_option() -> None:
    result = runner.invoke(app, ["generate", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for option in (
        "--applicants",
        "-n",
        "--seed",
        "-s",
        "--out",
        "--oracle-dir",
        "--drift",
        "--no-drift",
        "--quiet",
    ):
        assert option in result.output


def test_version() -> None:
    from credit_scoring import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


# --- bad input: exit code 2, one clear line, no traceback, nothing written ---------------------------

BAD_ARGUMENTS = [
    pytest.param(["--applicants", "-5"], "--applicants", id="negative-size"),
    pytest.param(["--applicants", "0"], "--applicants", id="zero-size"),
    pytest.param(["--applicants", "abc"], "--applicants", id="non-integer-size"),
    pytest.param(["--applicants", "2.5"], "--applicants", id="fractional-size"),
    pytest.param(["-n", "50"], "--applicants", id="below-generator-minimum"),
    pytest.param(["--seed", "-1"], "--seed", id="negative-seed"),
    pytest.param(["--seed", "x"], "--seed", id="non-integer-seed"),
    pytest.param(["--drift", "AMT_CREDIT"], "--drift", id="drift-without-shift"),
    pytest.param(["--drift", "AMT_CREDIT=abc"], "--drift", id="drift-non-numeric-shift"),
    pytest.param(["--drift", "=0.3"], "--drift", id="drift-without-column"),
    pytest.param(["--drift", "AMT_CREDIT=inf"], "--drift", id="drift-infinite-shift"),
    pytest.param(["--drift", "NOT_A_COLUMN=0.3"], "NOT_A_COLUMN", id="drift-unknown-column"),
    pytest.param(["--drift", "AMT_CREDIT=0.1", "--drift", "AMT_CREDIT=0.2"], "--drift", id="drift-twice"),
    pytest.param(["--drift", "AMT_CREDIT=0.3", "--no-drift"], "--no-drift", id="drift-and-no-drift"),
]


def _assert_usage_error(result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    assert needle in result.output, result.output
    assert "Error" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, f"expected one line, got:\n{result.output}"


@pytest.mark.parametrize(("args", "needle"), BAD_ARGUMENTS)
def test_generate_rejects_bad_arguments(tmp_path: Path, monkeypatch, args: list[str], needle: str) -> None:
    monkeypatch.chdir(tmp_path)  # the default data/raw and data/oracle would land here
    result = runner.invoke(app, ["generate", *args])
    _assert_usage_error(result, needle)
    assert _files_under(tmp_path) == set(), "nothing may be written on bad input"


def test_output_path_that_is_a_file(tmp_path: Path) -> None:
    occupied = tmp_path / "file.txt"
    occupied.write_text("not a folder")
    result = runner.invoke(
        app, ["generate", "--out", str(occupied), "--oracle-dir", str(tmp_path / "oracle")]
    )
    _assert_usage_error(result, "--out")
    assert str(occupied) in result.output
    assert _files_under(tmp_path) == {Path("file.txt")}
    assert occupied.read_text() == "not a folder"


def test_oracle_dir_that_is_a_file(tmp_path: Path) -> None:
    occupied = tmp_path / "file.txt"
    occupied.write_text("x")
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "raw"), "--oracle-dir", str(occupied)])
    _assert_usage_error(result, "--oracle-dir")
    assert _files_under(tmp_path) == {Path("file.txt")}


def test_output_path_under_a_file(tmp_path: Path) -> None:
    occupied = tmp_path / "file.txt"
    occupied.write_text("x")
    target = occupied / "sub"
    result = runner.invoke(app, ["generate", "--out", str(target), "--oracle-dir", str(tmp_path / "oracle")])
    _assert_usage_error(result, "--out")
    assert str(target) in result.output
    assert _files_under(tmp_path) == {Path("file.txt")}


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_uncreatable_folder_leaves_nothing_behind(tmp_path: Path) -> None:
    # /proc refuses new folders even for root; --out (checked first) must be removed again.
    target = Path("/proc/credit-scoring-test/oracle")
    result = runner.invoke(
        app, ["generate", "--out", str(tmp_path / "a" / "raw"), "--oracle-dir", str(target)]
    )
    _assert_usage_error(result, "--oracle-dir")
    assert str(target) in result.output
    assert _files_under(tmp_path) == set()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        result = runner.invoke(
            app, ["generate", "--out", str(locked / "raw"), "--oracle-dir", str(tmp_path / "o")]
        )
        _assert_usage_error(result, "--out")
        assert _files_under(tmp_path) == {Path("locked")}
    finally:
        locked.chmod(0o700)


def test_oracle_dir_inside_out_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--out", str(tmp_path / "raw"), "--oracle-dir", str(tmp_path / "raw" / "oracle")]
    )
    _assert_usage_error(result, "--oracle-dir")
    assert _files_under(tmp_path) == set()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--applicants", "abc"], id="non-integer"),
        pytest.param(["--out", "/proc/credit-scoring-test/raw"], id="uncreatable-folder"),
        pytest.param(["--drift", "oops"], id="malformed-drift"),
    ],
)
def test_errors_in_a_real_process_have_no_traceback(tmp_path: Path, run_cli, args: list[str]) -> None:
    result = run_cli("generate", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert _files_under(tmp_path) == set()


# --- a small successful generation -------------------------------------------------------------------


def test_small_generation(tmp_path: Path) -> None:
    raw, oracle = tmp_path / "raw", tmp_path / "oracle"
    result = runner.invoke(
        app,
        ["generate", "-n", "300", "-s", "7", "--out", str(raw), "--oracle-dir", str(oracle)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in raw.iterdir()) == sorted(RAW_FILES)
    assert sorted(p.name for p in oracle.iterdir()) == sorted(ORACLE_FILES)
    for name in RAW_FILES:
        assert (raw / name).stat().st_size > 0
    header = (raw / "application_train.csv").open().readline()
    assert header.startswith("SK_ID_CURR") and "TARGET" in header
    assert "oracle ROC AUC" in result.output
    assert "default rate" in result.output
    assert not list(tmp_path.rglob(".write-probe-*")), "the writability probe must be removed"


def test_quiet_generation_with_custom_drift(tmp_path: Path) -> None:
    raw, oracle = tmp_path / "raw", tmp_path / "oracle"
    result = runner.invoke(
        app,
        [
            "generate",
            "-n",
            "300",
            "--quiet",
            "--drift",
            "AMT_CREDIT=0.5",
            "--out",
            str(raw),
            "--oracle-dir",
            str(oracle),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ""
    assert (raw / "application_train.csv").is_file()
    manifest = (oracle / "drift_manifest.json").read_text()
    json.loads(manifest)
    assert "AMT_CREDIT" in manifest
    assert "AMT_INCOME_TOTAL" not in manifest, "--drift replaces the default drift"


# --- batches, monitor, reports: bad arguments -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["batches", "--months", "0"], "--months"),
        (["batches", "--applicants", "50"], "--applicants"),
        (["batches", "--months", "two"], "--months"),
        (["monitor", "--series", "/nonexistent/series"], "--series"),
        (["monitor", "--labels", "/nonexistent/labels.csv"], "--labels"),
        (["monitor", "--params", "/nonexistent/params.yaml"], "--params"),
        (["monitor", "not-an-override"], "KEY=VALUE"),
        (["reports", "--dir", "/nonexistent/reports"], "--dir"),
    ],
)
def test_monitoring_commands_name_the_bad_argument(args: list[str], named: str, tmp_path: Path) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_batches_refuses_a_non_empty_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "batches"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = runner.invoke(app, ["batches", "--out", str(out), "--oracle-dir", str(tmp_path / "labels")])
    assert result.exit_code == 2 and "not empty" in result.output
    assert (out / "keep.txt").read_text() == "precious"


def test_reports_writes_the_index(tmp_path: Path) -> None:
    (tmp_path / "drift").mkdir()
    (tmp_path / "drift" / "report.html").write_text("<html><title>Drift report</title></html>")
    result = runner.invoke(app, ["reports", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "drift/report.html" in (tmp_path / "index.html").read_text()
