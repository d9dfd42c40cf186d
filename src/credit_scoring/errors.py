"""Project exceptions: the pipeline entry points print these as one clean message and exit non-zero."""

from __future__ import annotations


class CreditScoringError(Exception):
    """Base of every error the project raises on purpose (bad input, bad configuration)."""


class ConfigError(CreditScoringError):
    """The configuration (conf/ or params.yaml) is invalid or inconsistent with the data."""


class InputDataError(CreditScoringError):
    """An input file fails validation; the message names the file, the column and how many rows."""


class BusyError(CreditScoringError):
    """Another process is writing the same output right now (two runs of one stage at once)."""
