"""SQL text for duckdb: quoted identifiers and string literals (every query the features code builds)."""

from __future__ import annotations


def quote(identifier: str) -> str:
    """A duckdb identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A duckdb string literal."""
    return "'" + value.replace("'", "''") + "'"
