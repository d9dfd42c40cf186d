"""App inputs corpus (library side): sign-in throttling per user and address, the client address of a
request, the app's temporary files, long client ids, the one-line log of a rejected input."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from credit_scoring.config import compose_config
from credit_scoring.errors import InputDataError
from credit_scoring.serving.access import ClientAddressMiddleware, LoginGuard, client_address
from credit_scoring.serving.requests import parse_client_id
from credit_scoring.serving.results import rejection_line
from credit_scoring.serving.scratch import GRADIO_TEMP_ENV, PREFIX, app_scratch

AUTH = compose_config().serving.auth
RIGHT = ("rm", "s3cret")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def guard() -> tuple[LoginGuard, Clock]:
    clock = Clock()
    return LoginGuard(RIGHT, AUTH, clock=clock), clock


def test_thirty_wrong_passwords_lock_the_user_at_that_address(guard) -> None:
    g, clock = guard
    answers = [g.attempt("rm", f"guess{i}", "10.0.0.7") for i in range(30)]
    assert not any(a.accepted for a in answers)
    assert all(a.delay == AUTH.failure_delay_seconds > 0 for a in answers)  # every failure slowed down
    assert [a.note.endswith("(locked)") for a in answers].index(True) == AUTH.max_failures
    assert not g.attempt(*RIGHT, "10.0.0.7").accepted  # locked: the right password is refused too
    assert g.attempt(*RIGHT, "10.0.0.8").accepted  # another address is not locked
    clock.now += AUTH.lock_seconds
    assert g.attempt(*RIGHT, "10.0.0.7").accepted  # the lock ends


def test_many_user_names_from_one_address_lock_the_address(guard) -> None:
    g, _ = guard
    for i in range(AUTH.max_failures_per_address):
        assert not g.attempt(f"user{i}", "x", "10.0.0.9").accepted
    assert not g.attempt(*RIGHT, "10.0.0.9").accepted
    assert g.attempt(*RIGHT, "127.0.0.1").accepted


def test_a_success_clears_the_count(guard) -> None:
    g, _ = guard
    for _ in range(AUTH.max_failures - 1):
        g.attempt("rm", "wrong", "10.0.0.7")
    assert g.attempt(*RIGHT, "10.0.0.7").accepted
    assert not g.attempt("rm", "wrong", "10.0.0.7").note.endswith("(locked)")


def test_the_auth_callable_waits_and_reads_the_request_address(guard, monkeypatch) -> None:
    g, _ = guard
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_sleep)

    async def login(request):  # what Gradio's /login does: the auth callable with user and password only
        ok = await g(request.query_params["u"], request.query_params["p"])
        return PlainTextResponse(f"{ok} {client_address()}")

    app = Starlette(routes=[Route("/login", login)], middleware=[Middleware(ClientAddressMiddleware)])
    client = TestClient(app, client=("203.0.113.5", 5000))
    assert client.get("/login", params={"u": "rm", "p": "bad"}).text == "False 203.0.113.5"
    assert client.get("/login", params={"u": RIGHT[0], "p": RIGHT[1]}).text == "True 203.0.113.5"
    assert waits == [AUTH.failure_delay_seconds]
    assert ("user", "rm", "203.0.113.5") not in g.failures  # the success cleared it


def test_scratch_holds_the_temporary_files_and_is_removed(tmp_path: Path) -> None:
    before = os.environ.get(GRADIO_TEMP_ENV)
    with app_scratch(tmp_path) as folder:
        scored = Path(tempfile.mkdtemp(prefix="scored-")) / "scored.csv"
        scored.write_text("id\n1\n")
        assert scored.is_relative_to(folder)
        assert os.environ[GRADIO_TEMP_ENV] == str(folder / "gradio")
    assert not folder.exists() and not scored.exists()
    assert os.environ.get(GRADIO_TEMP_ENV) == before and tempfile.gettempdir() != str(folder)


def test_scratch_of_a_killed_app_is_removed_at_the_next_start(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = tmp_path / f"{PREFIX}{dead.stdout.strip()}-abc"
    (left / "gradio").mkdir(parents=True)
    alive = tmp_path / f"{PREFIX}{os.getpid()}-other"  # a running app's folder (this process): kept
    alive.mkdir()
    with app_scratch(tmp_path):
        assert not left.exists() and alive.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12345678901234567890123456789", 12345678901234567890123456789),
        (" 100002 ", 100002),
        ("100002.0", 100002),
        (100002.0, 100002),
    ],
)
def test_client_ids_are_kept_exact(value: object, expected: int) -> None:
    assert parse_client_id(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            1.2345678901234568e28,
            "client id 1.2345678901234568e+28 is too long to be exact as a number",
        ),
        ("1.5", "client id '1.5' is not a whole number"),
        ("abc", "client id 'abc' is not a number"),
        ("", "enter a client id (a whole number)"),
    ],
)
def test_bad_client_ids_are_refused(value: object, message: str) -> None:
    with pytest.raises(InputDataError, match="^" + re.escape(message)):
        parse_client_id(value)


def test_a_rejected_input_is_one_log_line() -> None:
    exc = InputDataError("batch.csv: column AMT_CREDIT has 1 non-numeric value (line 3: 'x')\nsecond line")
    assert (
        rejection_line(exc)
        == "rejected input: batch.csv: column AMT_CREDIT has 1 non-numeric value (line 3: 'x')"
    )
