"""Schema of the `monitoring` group (conf/monitoring/default.yaml): drift, Evidently report, policy,
performance on labels, fairness, where the reports go and their MLflow run.

Like every other group, the values are defined once, in the YAML; here every field is MISSING and says what
it means. OmegaConf checks the types when the configuration is loaded (`credit_scoring.config.load_config`,
`compose_config`), and the loader's `_check_monitoring` the ranges and cross-field rules. The business cost
of the decisions (`evaluation.cost`), the calibration bins (`evaluation.calibration_bins`) and the threshold
(the champion's) are the pipeline's own: none is a monitoring setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import MISSING

from credit_scoring.errors import ConfigError

CORRECTIONS = ("bonferroni", "bh", "none")


@dataclass
class PsiConfig:
    """Population Stability Index.

    bins: quantile bins of a numeric feature, cut at the reference's quantiles i/bins (numpy's linear
    quantiles), right-closed; missing values are one more bin. Ties (flags, counts) give empty duplicate
    bins, which cost nothing (see epsilon).
    epsilon: floor of a bin's share, so that an empty bin gives a finite term: the term of a bin empty on
    both sides is 0, a bin empty on one side only costs (p - eps) * ln(p / eps).
    moderate / significant: the band edges (PSI < moderate: stable; < significant: moderate; else significant).
    max_levels: a categorical feature keeps this many most frequent reference levels as bins; the other
    reference levels share one "other" bin; levels absent from the reference share one "unseen" bin.
    chunk_columns: columns binned at once (bounds the working memory: rows x chunk_columns x 8 bytes x 2).
    """

    bins: int = MISSING
    epsilon: float = MISSING
    moderate: float = MISSING
    significant: float = MISSING
    max_levels: int = MISSING
    chunk_columns: int = MISSING


@dataclass
class DriftRuleConfig:
    """When a feature is called drifted: a significant change that is not negligible.

    drifted = p_adjusted < alpha AND psi >= min_psi, where p is the chi-square test of homogeneity of the
    reference and production counts on the PSI bins, adjusted across all the features of the report
    (correction: "bh" Benjamini-Hochberg false discovery rate, "bonferroni" family-wise, "none").
    """

    alpha: float = MISSING
    correction: str = MISSING  # one of CORRECTIONS
    min_psi: float = MISSING


@dataclass
class EvidentlyConfig:
    """The Evidently report: never on the whole feature table, only the champion's top features + score."""

    enabled: bool = MISSING
    top_features: int = MISSING
    max_rows: int = MISSING  # rows sampled from each of reference and production (seeded)
    seed: int = MISSING
    drift_share: float = MISSING  # Evidently's dataset-drift test fails when this share of its columns drift


@dataclass
class PolicyConfig:
    """'action required' when the score drifted (if score_drift_is_action) or too many features drifted."""

    max_drifted_share: float = MISSING
    score_drift_is_action: bool = MISSING


@dataclass
class PerformanceConfig:
    """Warnings of the performance on a labelled batch (labels arriving later) against the test figures.
    The costs are `evaluation.cost`, the calibration bins `evaluation.calibration_bins`, the threshold the
    champion's."""

    max_auc_drop: float = MISSING  # warning when the batch's ROC AUC is this much below the test's
    max_cost_increase: float = MISSING  # warning when the cost per client grows by more than this share


@dataclass
class FairnessConfig:
    """Results by group and the bound on the gaps between groups."""

    group_columns: list[str] = MISSING
    age_column: str = MISSING  # days before the application (negative), as in Home Credit
    age_band_column: str = MISSING  # the group column computed from age_column
    age_edges: list[float] = MISSING  # years
    max_gap: float = MISSING  # warning when a demographic parity or equal opportunity difference exceeds it
    min_group_size: int = MISSING  # smaller groups are reported but left out of the gaps


@dataclass
class ReportConfig:
    """Where the reports go (relative to the project root, or absolute)."""

    reports_dir: str = MISSING  # model card, index.html
    drift_dir: str = MISSING  # the `monitor` stage's drift report
    runs_dir: str = MISSING  # one dated folder per `credit-scoring monitor --current/--series` run
    top_table: int = MISSING  # rows of the "most drifted features" table of the HTML page
    score_column: str = MISSING  # name of the predicted probability in the drift tables


@dataclass
class TrackingConfig:
    """The MLflow run of each report (same tracking store as the registry), tagged with the champion."""

    enabled: bool = MISSING
    experiment: str = MISSING
    feature_psi: bool = MISSING  # log psi/<feature> for every feature (800 metrics: cheap, batched)


@dataclass
class MonitoringConfig:
    name: str = MISSING
    psi: PsiConfig = MISSING
    drift: DriftRuleConfig = MISSING
    evidently: EvidentlyConfig = MISSING
    policy: PolicyConfig = MISSING
    performance: PerformanceConfig = MISSING
    fairness: FairnessConfig = MISSING
    report: ReportConfig = MISSING
    tracking: TrackingConfig = MISSING


def load_monitoring(path: Path | str | None = None, overrides: Sequence[str] = ()) -> MonitoringConfig:
    """The `monitoring` group alone (the standalone drift check, benchmarks, tests): conf/ composed, the keys
    of the YAML file `path` and the dotlist `overrides` (``psi.bins=4``) on top, validated and checked by the
    one loader like the whole configuration."""
    from omegaconf import DictConfig, OmegaConf

    from credit_scoring.config.loader import compose, to_config

    container = compose()
    if path is not None:
        try:
            mine = OmegaConf.load(Path(path))
        except Exception as exc:  # missing file, YAML error
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        if not isinstance(mine, DictConfig):
            raise ConfigError(f"{path}: expected a mapping of monitoring settings at the top level")
        container = OmegaConf.merge(container, {"monitoring": mine})
    return to_config(container, [f"monitoring.{o}" for o in overrides]).monitoring
