"""Features: side-table aggregation (duckdb) and the merge, derived columns and sentinels, categorical
encoding, the modelling tables, and the raw applicant rows a logged model scores."""

from typing import Any

from credit_scoring.legacy import moved_name


def __getattr__(name: str) -> Any:
    """Names of the old ``credit_scoring.features`` module (pickled models)."""
    return moved_name(__name__, name)
