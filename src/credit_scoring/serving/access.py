"""Who may reach the app: loopback addresses, the credentials (from the environment variables the
configuration names, never from a file), and the refusal to bind beyond loopback without them."""

from __future__ import annotations

import ipaddress
import os

from credit_scoring.config.serving import AuthConfig
from credit_scoring.errors import ConfigError


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
