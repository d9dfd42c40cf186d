"""Settings of the monitoring library (drift, Evidently report, policy, performance, fairness, reports).

Every setting has a default here, so that the library runs without a configuration; the YAML of the
`monitoring` Hydra group (`conf/monitoring/default.yaml`) mirrors these dataclasses key for key. The
dataclasses use only types OmegaConf accepts as a structured schema (str, int, float, bool, Optional, list,
nested dataclasses): the root `credit_scoring.config.schema.Config` declares `monitoring: MonitoringConfig`.

`MonitoringConfig.from_mapping` builds one from a plain mapping (the flat form, or the placeholder's
``{name, options: {...}}`` form) and refuses unknown keys and impossible values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    bins: int = 10
    epsilon: float = 1e-4
    moderate: float = 0.1
    significant: float = 0.25
    max_levels: int = 50
    chunk_columns: int = 64


@dataclass
class DriftRuleConfig:
    """When a feature is called drifted: a significant change that is not negligible.

    drifted = p_adjusted < alpha AND psi >= min_psi, where p is the chi-square test of homogeneity of the
    reference and production counts on the PSI bins, adjusted across all the features of the report
    (correction: "bh" Benjamini-Hochberg false discovery rate, "bonferroni" family-wise, "none").
    """

    alpha: float = 0.05
    correction: str = "bh"
    min_psi: float = 0.02


@dataclass
class EvidentlyConfig:
    """The Evidently report: never on the whole feature table, only the champion's top features + score."""

    enabled: bool = True
    top_features: int = 20
    max_rows: int = 20_000  # rows sampled from each of reference and production (seeded)
    seed: int = 42
    drift_share: float = 0.5  # Evidently's dataset-drift test fails when this share of its columns drift


@dataclass
class PolicyConfig:
    """'action required' when the score drifted (if score_drift_is_action) or too many features drifted."""

    max_drifted_share: float = 0.2
    score_drift_is_action: bool = True


@dataclass
class PerformanceConfig:
    """Performance on a labelled batch (labels arriving later) against the test figures."""

    cost_fn: float = 10.0  # cost of accepting a client who defaults
    cost_fp: float = 1.0  # cost of refusing a client who would have repaid
    threshold: float = 0.5  # refuse when P(default) >= threshold (the champion's own threshold overrides it)
    calibration_bins: int = 10
    max_auc_drop: float = 0.05  # warning when the batch's ROC AUC is this much below the test's
    max_cost_increase: float = 0.25  # warning when the cost per client grows by more than this share


@dataclass
class FairnessConfig:
    """Results by group and the bound on the gaps between groups."""

    group_columns: list[str] = field(default_factory=lambda: ["CODE_GENDER", "AGE_BAND"])
    age_column: str = "DAYS_BIRTH"  # days before the application (negative), as in Home Credit
    age_band_column: str = "AGE_BAND"
    age_edges: list[float] = field(default_factory=lambda: [25.0, 35.0, 45.0, 55.0])  # years
    max_gap: float = 0.1  # warning when a demographic parity or equal opportunity difference exceeds it
    min_group_size: int = 30  # smaller groups are reported but left out of the gaps


@dataclass
class ReportConfig:
    """Where the reports go (relative to the project root, or absolute)."""

    reports_dir: str = "reports"  # model card, index.html
    drift_dir: str = "reports/drift"  # the `monitor` stage's drift report
    runs_dir: str = (
        "reports/monitoring"  # one dated folder per `credit-scoring monitor --current/--series` run
    )
    top_table: int = 25  # rows of the "most drifted features" table of the HTML page
    score_column: str = "score"  # name of the predicted probability in the drift tables


@dataclass
class TrackingConfig:
    """The MLflow run of each report (same tracking store as the registry), tagged with the champion."""

    enabled: bool = True
    experiment: str = "credit_scoring_monitoring"
    feature_psi: bool = True  # log psi/<feature> for every feature (800 metrics: cheap, batched)


@dataclass
class MonitoringConfig:
    name: str = "default"
    psi: PsiConfig = field(default_factory=PsiConfig)
    drift: DriftRuleConfig = field(default_factory=DriftRuleConfig)
    evidently: EvidentlyConfig = field(default_factory=EvidentlyConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    performance: PerformanceConfig = field(default_factory=PerformanceConfig)
    fairness: FairnessConfig = field(default_factory=FairnessConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    def __post_init__(self) -> None:
        check(self)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> MonitoringConfig:
        """Build from a mapping: flat (this class's keys) or the placeholder's ``{name, options: {...}}``."""
        data = dict(data or {})
        if set(data) <= {"name", "options"} and isinstance(data.get("options"), Mapping):
            data = {"name": data.get("name", "default"), **dict(data["options"])}
        return _build(cls, data, "monitoring")

    @classmethod
    def from_yaml(cls, path: Path | str) -> MonitoringConfig:
        from omegaconf import OmegaConf

        try:
            data = OmegaConf.to_container(OmegaConf.load(Path(path)), resolve=True)
        except Exception as exc:  # missing file, YAML error
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        return cls.from_mapping(data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _build(kind: type, data: Mapping[str, Any], where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown} (known: {sorted(fields)})")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        sub = _NESTED.get((kind, name))
        if sub is not None:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{name}: expected a mapping, got {value!r}")
            kwargs[name] = _build(sub, value, f"{where}.{name}")
        else:
            kwargs[name] = value
    try:
        return kind(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


_NESTED: dict[tuple[type, str], type] = {
    (MonitoringConfig, "psi"): PsiConfig,
    (MonitoringConfig, "drift"): DriftRuleConfig,
    (MonitoringConfig, "evidently"): EvidentlyConfig,
    (MonitoringConfig, "policy"): PolicyConfig,
    (MonitoringConfig, "performance"): PerformanceConfig,
    (MonitoringConfig, "fairness"): FairnessConfig,
    (MonitoringConfig, "report"): ReportConfig,
    (MonitoringConfig, "tracking"): TrackingConfig,
}


def check(cfg: MonitoringConfig) -> MonitoringConfig:
    """Cross-field checks; raises ConfigError naming the setting."""
    p, d, e, po, pe, f = cfg.psi, cfg.drift, cfg.evidently, cfg.policy, cfg.performance, cfg.fairness
    problems = []
    if not (isinstance(p.bins, int) and p.bins >= 2):
        problems.append(f"psi.bins must be an integer >= 2, got {p.bins!r}")
    if not 0 < p.epsilon < 0.01:
        problems.append(f"psi.epsilon must be in (0, 0.01), got {p.epsilon!r}")
    if not 0 < p.moderate < p.significant:
        problems.append(f"psi bands need 0 < moderate < significant, got {p.moderate!r}, {p.significant!r}")
    if p.max_levels < 1 or p.chunk_columns < 1:
        problems.append("psi.max_levels and psi.chunk_columns must be >= 1")
    if not 0 < d.alpha < 1:
        problems.append(f"drift.alpha must be in (0, 1), got {d.alpha!r}")
    if d.correction not in CORRECTIONS:
        problems.append(f"drift.correction must be one of {CORRECTIONS}, got {d.correction!r}")
    if d.min_psi < 0:
        problems.append(f"drift.min_psi must be >= 0, got {d.min_psi!r}")
    if e.top_features < 1 or e.max_rows < 10:
        problems.append("evidently.top_features must be >= 1 and evidently.max_rows >= 10")
    if not 0 < e.drift_share <= 1:
        problems.append(f"evidently.drift_share must be in (0, 1], got {e.drift_share!r}")
    if not 0 <= po.max_drifted_share < 1:
        problems.append(f"policy.max_drifted_share must be in [0, 1), got {po.max_drifted_share!r}")
    if pe.cost_fn < 0 or pe.cost_fp < 0 or not 0 < pe.threshold < 1 or pe.calibration_bins < 2:
        problems.append("performance: costs must be >= 0, threshold in (0, 1), calibration_bins >= 2")
    edges = list(f.age_edges)
    if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] <= 0:
        problems.append(f"fairness.age_edges must be positive and increasing, got {edges!r}")
    if f.max_gap <= 0 or f.min_group_size < 1:
        problems.append("fairness.max_gap must be > 0 and fairness.min_group_size >= 1")
    if problems:
        raise ConfigError("invalid monitoring configuration: " + "; ".join(problems))
    return cfg
