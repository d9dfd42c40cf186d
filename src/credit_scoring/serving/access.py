"""Who may reach the app: loopback addresses, the credentials (from the environment variables the
configuration names, never from a file), the refusal to bind beyond loopback without them, and the throttling
of failed sign-ins per user and address (`LoginGuard`)."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from credit_scoring.config.serving import AuthConfig
from credit_scoring.errors import ConfigError

log = logging.getLogger("credit_scoring.app")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def credentials_from_env(cfg: AuthConfig, environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(user, password) from the configured environment variables; None when neither is set."""
    env = os.environ if environ is None else environ
    user, password = env.get(cfg.user_env, ""), env.get(cfg.password_env, "")
    if not user and not password:
        return None
    if not user or not password:
        missing = cfg.user_env if not user else cfg.password_env
        raise ConfigError(
            f"authentication: {missing} is empty while the other variable is set; set both or neither"
        )
    return user, password


def check_binding(host: str, credentials: tuple[str, str] | None, allow_public_without_auth: bool) -> None:
    """Refuse to listen beyond loopback without authentication, unless explicitly allowed."""
    if credentials is None and not is_loopback(host) and not allow_public_without_auth:
        raise ConfigError(
            f"refusing to bind {host} without authentication: set the user and password environment "
            "variables (serving.auth), bind 127.0.0.1, or set serving.allow_public_without_auth=true"
        )


# ---- sign-in throttling -------------------------------------------------------------------------------------
UNKNOWN_ADDRESS = "unknown"
_client_address: contextvars.ContextVar[str] = contextvars.ContextVar(
    "client_address", default=UNKNOWN_ADDRESS
)


class ClientAddressMiddleware:
    """ASGI middleware: the address of the request's client, for the sign-in check (Gradio's auth callable is
    given the user and password only). Pass it to the server: ``app_kwargs={"middleware": [Middleware(...)]}``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") in ("http", "websocket") else None
        token = _client_address.set(client[0] if client else UNKNOWN_ADDRESS)
        try:
            await self.app(scope, receive, send)
        finally:
            _client_address.reset(token)


def client_address() -> str:
    """The address of the client of the request being served (`ClientAddressMiddleware`)."""
    return _client_address.get()


@dataclass(frozen=True)
class Attempt:
    """The answer to a sign-in: accepted or not, how long to wait before answering, the log line."""

    accepted: bool
    delay: float
    note: str


@dataclass
class LoginGuard:
    """Failed sign-ins are answered `failure_delay_seconds` later; after `max_failures` failures of one user
    from one address (or `max_failures_per_address` from one address), that pair (or address) is refused for
    `lock_seconds`, the right password included. A success clears the pair's count."""

    credentials: tuple[str, str]
    cfg: AuthConfig
    clock: Callable[[], float] = time.monotonic
    failures: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: tuple[str, ...], now: float) -> list[float]:
        times = [t for t in self.failures.get(key, []) if now - t < self.cfg.lock_seconds]
        self.failures[key] = times
        return times

    def attempt(self, user: str, password: str, address: str) -> Attempt:
        """Check one sign-in of `user` from `address`."""
        now = self.clock()
        pair, place = ("user", user, address), ("address", address)
        with self.lock:
            locked = len(self._recent(pair, now)) >= self.cfg.max_failures or (
                len(self._recent(place, now)) >= self.cfg.max_failures_per_address
            )
            right = hmac.compare_digest(user.encode(), self.credentials[0].encode()) & hmac.compare_digest(
                password.encode(), self.credentials[1].encode()
            )
            if right and not locked:
                self.failures.pop(pair, None)
                return Attempt(True, 0.0, f"sign-in of {user!r} from {address}")
            if not locked:
                self.failures.setdefault(pair, []).append(now)
                self.failures.setdefault(place, []).append(now)
            count = len(self.failures.get(pair, []))
        why = "locked" if locked else f"failure {count} in a row"
        return Attempt(
            False, self.cfg.failure_delay_seconds, f"sign-in of {user!r} from {address} refused ({why})"
        )

    async def __call__(self, user: str, password: str) -> bool:
        """Gradio's auth callable: the answer, after the delay of a failure (without blocking the server)."""
        result = self.attempt(user, password, client_address())
        (log.info if result.accepted else log.warning)(result.note)
        if result.delay:
            await asyncio.sleep(result.delay)
        return result.accepted
