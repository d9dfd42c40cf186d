"""PD validation of the champion's scores (the figures of reports/validation/validation.json).

`validate_scores(y, pd)` on one labelled population (the test split, or a labelled production batch):
  * master scale: grades from `validation.grade_edges`, per grade count, defaults, mean PD, observed rate,
    the one-sided binomial and Jeffreys p-values and the traffic light (`stats.master_scale`);
  * calibration: Hosmer-Lemeshow over the grades (dof = the non-empty grades: the PDs are fixed before the
    outcomes, the out-of-sample form), Spiegelhalter's z, Brier score, ECE (`evaluation.calibration_bins`);
  * discrimination: ROC AUC with its DeLong interval at `validation.confidence`, Gini (2 AUC - 1, same
    interval mapped), KS (largest gap between the score cdfs of defaults and non-defaults);
  * concentration: Herfindahl of the grade counts.
`production_section` adds, for production: the PSI of the grade distribution against development (the test
split's grades; PSI bins = the grades, `monitoring.psi.epsilon`), its Herfindahl, and when labels arrived the
same battery on the labelled rows plus DeLong's unpaired test of their AUC against the development AUC.
`iv_table`: information value per feature with optbinning's BinningProcess on development rows.
Everything here is pure (frames and arrays in, JSON-able dicts out; no dates, no timings).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import brier_score_loss

from credit_scoring.config import Config
from credit_scoring.config.monitoring import PsiConfig
from credit_scoring.config.validation import ValidationConfig
from credit_scoring.features.encoding import is_categorical
from credit_scoring.monitoring.psi import psi_band, psi_from_counts
from credit_scoring.stats.calibration_tests import expected_calibration_error, hosmer_lemeshow, spiegelhalter
from credit_scoring.stats.delong import AucInterval, auc_ci, unpaired_from_summary
from credit_scoring.stats.master_scale import GREEN, assign_grades, herfindahl, master_scale

IV_COLUMNS = ["feature", "dtype", "n_bins", "iv", "gini", "status"]


def jsonable(v: Any) -> Any:
    """numpy scalars to Python, NaN / inf to None, recursively (strict, deterministic JSON)."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def grade_counts(pd_values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Rows per grade (1..len(edges)+1) of the PDs."""
    return np.bincount(assign_grades(pd_values, edges), minlength=len(edges) + 2)[1:]


def _interval(a: AucInterval) -> dict[str, Any]:
    return {"auc": a.auc, "se": a.se, "lower": a.lower, "upper": a.upper, "level": a.level}


def validate_scores(
    y: np.ndarray, pd_values: np.ndarray, cfg: ValidationConfig, calibration_bins: int
) -> dict[str, Any]:
    """The validation battery on one labelled population (see the module docstring)."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(pd_values, dtype=np.float64)
    scale = master_scale(y, p, cfg.grade_edges, cfg.red_below, cfg.amber_below, cfg.light_test)
    filled = scale[scale["count"] > 0]
    hl = hosmer_lemeshow(
        filled["count"].to_numpy(), filled["defaults"].to_numpy(), filled["mean_pd"].to_numpy()
    )
    sp = spiegelhalter(y, p)
    auc = auc_ci(y, p, cfg.confidence)
    ks = stats.ks_2samp(p[y == 1], p[y == 0])
    conc = herfindahl(scale["count"].to_numpy())
    lights = scale.loc[scale["count"] > 0, "light"].value_counts()
    return jsonable(
        {
            "rows": len(y),
            "defaults": int(y.sum()),
            "default_rate": float(y.mean()),
            "mean_pd": float(p.mean()),
            "master_scale": scale.to_dict(orient="records"),
            "lights": {k: int(lights.get(k, 0)) for k in ("green", "amber", "red")},
            "light_test": cfg.light_test,
            "calibration": {
                "hosmer_lemeshow": {"statistic": hl.statistic, "dof": hl.dof, "p_value": hl.p_value},
                "spiegelhalter": {"z": sp.z, "p_value": sp.p_value},
                "brier": float(brier_score_loss(y, p)),
                "ece": expected_calibration_error(y, p, calibration_bins),
                "ece_bins": calibration_bins,
            },
            "discrimination": {
                "roc_auc": _interval(auc),
                "gini": {"gini": 2 * auc.auc - 1, "lower": 2 * auc.lower - 1, "upper": 2 * auc.upper - 1},
                "ks": {"statistic": float(ks.statistic), "p_value": float(ks.pvalue)},
            },
            "concentration": {"herfindahl": conc.hhi, "normalised": conc.normalised},
        }
    )


def _stored_interval(section: dict[str, Any]) -> AucInterval:
    a = section["discrimination"]["roc_auc"]
    return AucInterval(a["auc"], a["se"], a["lower"], a["upper"], a["level"], 0, 0)


def production_section(
    development: dict[str, Any],
    development_pd: np.ndarray,
    production_pd: np.ndarray,
    cfg: ValidationConfig,
    psi: PsiConfig,
    calibration_bins: int,
    labelled: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Grade stability of production against development and, with `labelled` = (y, pd) of the rows whose
    outcomes arrived, the battery on them and the test of their AUC against the development AUC."""
    dev_counts = grade_counts(development_pd, cfg.grade_edges)
    cur_counts = grade_counts(production_pd, cfg.grade_edges)
    value = float(psi_from_counts(dev_counts[None, :], cur_counts[None, :], psi.epsilon)[0])
    conc = herfindahl(cur_counts)
    out: dict[str, Any] = {
        "rows": len(production_pd),
        "mean_pd": float(np.mean(production_pd)),
        "grade_counts": cur_counts.tolist(),
        "grade_psi": {"psi": value, "band": str(psi_band(value, psi)[0])},
        "concentration": {"herfindahl": conc.hhi, "normalised": conc.normalised},
        "labelled": None,
    }
    if labelled is not None and len(labelled[0]) and 0 < int(np.sum(labelled[0])) < len(labelled[0]):
        battery = validate_scores(labelled[0], labelled[1], cfg, calibration_bins)
        battery["auc_vs_development"] = _against(
            _stored_interval(battery), _stored_interval(development), cfg.confidence
        )
        out["labelled"] = battery
    return jsonable(out)


def labelled_validation(
    y: np.ndarray, pd_values: np.ndarray, reference: dict[str, Any], config: Config
) -> dict[str, Any] | None:
    """The battery on a labelled batch (`credit-scoring monitor --labels`, `--series`), with DeLong's unpaired
    test of its AUC against the development AUC of `reference` (`performance_metrics` of the test split:
    roc_auc, roc_auc_se); None when the batch has only one class."""
    cfg = config.validation
    y = np.asarray(y, dtype=np.int64)
    if not 0 < int(y.sum()) < len(y):
        return None
    battery = validate_scores(y, pd_values, cfg, config.evaluation.calibration_bins)
    if reference.get("roc_auc") is not None and reference.get("roc_auc_se") is not None:
        dev = AucInterval(
            reference["roc_auc"], reference["roc_auc_se"], math.nan, math.nan, cfg.confidence, 0, 0
        )
        battery["auc_vs_development"] = _against(_stored_interval(battery), dev, cfg.confidence)
    return jsonable(battery)


def _against(current: AucInterval, development: AucInterval, level: float) -> dict[str, Any]:
    test = unpaired_from_summary(current, development, level)
    return {"difference": test.difference, "se": test.se, "z": test.z, "p_value": test.p_value,
            "lower": test.lower, "upper": test.upper, "level": test.level}  # fmt: skip


def iv_table(frame: pd.DataFrame, y: np.ndarray, features: Sequence[str], seed: int) -> pd.DataFrame:
    """Information value (and Gini) per feature: optbinning's optimal binning of each column on `frame`
    (development rows), sorted by IV, largest first (IV_COLUMNS)."""
    from optbinning import BinningProcess

    names = list(features)
    if not names:
        return pd.DataFrame(columns=IV_COLUMNS)
    x = frame[names].reset_index(drop=True)
    categorical = [c for c in names if is_categorical(x[c])]
    process = BinningProcess(names, categorical_variables=categorical or None)
    process.fit(x, np.asarray(y, dtype=np.int64))
    summary = process.summary().rename(columns={"name": "feature"})
    out = summary[IV_COLUMNS].astype({"iv": float, "gini": float, "n_bins": int})
    return out.sort_values(["iv", "feature"], ascending=[False, True]).reset_index(drop=True)


def headline(doc: dict[str, Any]) -> dict[str, float]:
    """The report's headline figures (MLflow metrics): AUC and its interval, lights, HL / Spiegelhalter p."""
    test = doc["test"]
    auc = test["discrimination"]["roc_auc"]
    out = {
        "validation.test.roc_auc": auc["auc"],
        "validation.test.roc_auc_lower": auc["lower"],
        "validation.test.roc_auc_upper": auc["upper"],
        "validation.test.green_grades": test["lights"][GREEN],
        "validation.test.red_grades": test["lights"]["red"],
        "validation.test.hosmer_lemeshow_p": test["calibration"]["hosmer_lemeshow"]["p_value"],
        "validation.test.spiegelhalter_p": test["calibration"]["spiegelhalter"]["p_value"],
    }
    prod = doc.get("production")
    if prod:
        out["validation.production.grade_psi"] = prod["grade_psi"]["psi"]
        if prod.get("labelled"):
            out["validation.production.roc_auc"] = prod["labelled"]["discrimination"]["roc_auc"]["auc"]
            out["validation.production.auc_vs_development_p"] = prod["labelled"]["auc_vs_development"][
                "p_value"
            ]
    return {k: float(v) for k, v in out.items() if v is not None}
