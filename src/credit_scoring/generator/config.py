"""Typed settings of the embedded dataset generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Real Home Credit proportions (application_test rows / application_train rows, default rate of the train file).
REAL_TEST_TO_TRAIN = 48_744 / 307_511
REAL_TARGET_RATE = 0.080729


def _default_drift() -> dict[str, float]:
    # Shift of each column's copula score, in standard deviations (categoricals: towards later levels in the
    # spec's order). Small enough to look like a real population change, large enough to be caught at 5k rows.
    return {
        "AMT_INCOME_TOTAL": 0.35,
        "AMT_CREDIT": 0.30,
        "DAYS_BIRTH": 0.35,
        "EXT_SOURCE_3": -0.30,
        "NAME_CONTRACT_TYPE": 0.60,
        "REGION_POPULATION_RELATIVE": 0.30,
    }


@dataclass(frozen=True)
class GeneratorConfig:
    """What `credit-scoring generate` makes.

    applicants: rows of application_train; application_test gets `applicants * test_to_train` rows.
    drift: production (application_test) drift per application column, as a shift of its copula score in
    standard deviations; written to drift_manifest.json.
    """

    applicants: int = 30_000
    seed: int = 42
    test_to_train: float = REAL_TEST_TO_TRAIN
    target_rate: float = REAL_TARGET_RATE
    drift: dict[str, float] = field(default_factory=_default_drift)
    spec: str = "home_credit"
    id_start: int = 100_001

    def __post_init__(self) -> None:
        if not isinstance(self.applicants, int) or self.applicants < 100:
            raise ValueError(f"applicants must be an integer of at least 100, got {self.applicants!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not 0 < self.test_to_train <= 1:
            raise ValueError(f"test_to_train must be in (0, 1], got {self.test_to_train!r}")
        if self.id_start < 1:
            raise ValueError(f"id_start must be a positive integer, got {self.id_start!r}")
        if not 0 < self.target_rate < 0.5:
            raise ValueError(f"target_rate must be in (0, 0.5), got {self.target_rate!r}")

    @property
    def test_applicants(self) -> int:
        return max(1, round(self.applicants * self.test_to_train))

    @property
    def total_applicants(self) -> int:
        return self.applicants + self.test_applicants


@dataclass(frozen=True)
class GenerationResult:
    """Where the files went and the headline figures of a generation."""

    out_dir: Path
    oracle_dir: Path
    row_counts: dict[str, int]
    default_rate: float
    oracle_auc: float
    drifted_columns: list[str]
    seconds: float
