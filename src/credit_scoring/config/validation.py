"""Schema of the `validation` group (conf/validation/default.yaml): the master scale, the traffic lights,
the confidence level and the IV table of the PD validation report (stage `validate`)."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING

from credit_scoring.errors import ConfigError

LIGHT_TESTS = ("jeffreys", "binomial")


@dataclass
class ValidationConfig:
    """grade_edges: inner PD band edges of the master scale, strictly increasing in (0, 1) (len + 1 grades;
    grade g holds PDs in [edge g-1, edge g)). light_test: the one-sided per-grade test whose p-value gives the
    traffic light: red when p < red_below, amber when p < amber_below, else green. confidence: level of the
    DeLong intervals and of the test of the AUC against the development AUC. iv_top_features / iv_max_rows /
    seed: the IV table bins this many of the champion's most important features on a seeded sample of this
    many training-split rows (optbinning's BinningProcess)."""

    name: str = MISSING
    grade_edges: list[float] = MISSING
    light_test: str = MISSING
    red_below: float = MISSING
    amber_below: float = MISSING
    confidence: float = MISSING
    iv_top_features: int = MISSING
    iv_max_rows: int = MISSING
    seed: int = MISSING


def check_validation(v: ValidationConfig) -> None:
    """Ranges and cross-field rules of the validation group; every problem named by its key."""
    edges = list(v.grade_edges)
    rules = [
        (bool(edges) and edges[0] > 0 and edges[-1] < 1 and all(a < b for a, b in zip(edges, edges[1:], strict=False)),
         f"grade_edges must increase strictly inside (0, 1), got {edges!r}"),
        (v.light_test in LIGHT_TESTS, f"light_test must be one of {LIGHT_TESTS}, got {v.light_test!r}"),
        (0 < v.red_below < v.amber_below < 1,
         f"traffic light needs 0 < red_below < amber_below < 1, got {v.red_below!r}, {v.amber_below!r}"),
        (0 < v.confidence < 1, f"confidence must be in (0, 1), got {v.confidence!r}"),
        (v.iv_top_features >= 1 and v.iv_max_rows >= 10, "iv_top_features must be >= 1, iv_max_rows >= 10"),
    ]  # fmt: skip
    problems = [f"validation.{message}" for ok, message in rules if not ok]
    if problems:
        raise ConfigError("; ".join(problems))
