"""The planted signal: the true probability of default as a function of what the files show."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

SIDE_SIGNALS = (
    "inst_late_share",
    "inst_short_share",
    "bureau_overdue_active",
    "bureau_active_debt_to_income",
    "prev_refused_share",
    "pos_dpd_share",
    "cc_utilisation",
)


def _nan0(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(x, dtype=float), nan=0.0)


def application_terms(apps: pd.DataFrame, sig: dict[str, Any]) -> pd.DataFrame:
    """Per-applicant logit contributions read from the application columns (one column per term)."""
    out: dict[str, np.ndarray] = {}
    ext = sig["ext_source"]
    total = np.zeros(len(apps))
    for k in (1, 2, 3):
        x = apps[f"EXT_SOURCE_{k}"].to_numpy(dtype=float)
        t = ext["slope"] * (x - 0.5) + ext["low_slope"] * np.minimum(x - ext["low_threshold"], 0.0)
        total += np.where(np.isnan(x), ext["missing"][f"EXT_SOURCE_{k}"], t)
    out["ext_source"] = total

    years = -apps["DAYS_BIRTH"].to_numpy(dtype=float) / 365.25
    ya = sig["young_age"]
    out["young_age"] = ya["per_15_years"] * np.maximum(ya["years"] - years, 0.0) / 15.0

    credit = apps["AMT_CREDIT"].to_numpy(dtype=float)
    annuity = apps["AMT_ANNUITY"].to_numpy(dtype=float)
    income = apps["AMT_INCOME_TOTAL"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = credit / annuity
        burden = annuity / income
    pt = sig["payment_term"]
    out["payment_term"] = _nan0(
        pt["bump"] * np.exp(-(((term - pt["center_months"]) / pt["width_months"]) ** 2))
    )
    ai = sig["annuity_income"]
    out["annuity_income"] = _nan0(ai["slope"] * np.maximum(burden - ai["threshold"], 0.0))

    emp = apps["DAYS_EMPLOYED"].to_numpy(dtype=float)
    pensioner = emp == 365243
    emp_years = np.where(pensioner, 0.0, -emp / 365.25)
    ey = sig["employment_years"]
    out["employment"] = np.where(
        pensioner,
        ey["pensioner"],
        ey["slope"] * np.minimum(np.maximum(emp_years, 0.0), ey["cap"]) / ey["cap"],
    )

    out["education"] = apps["NAME_EDUCATION_TYPE"].map(sig["education"]).fillna(0.0).to_numpy(dtype=float)
    my = sig["male_young"]
    male = apps["CODE_GENDER"].to_numpy() == "M"
    out["male_young"] = male * (my["male"] + my["extra"] * (years < my["young_years"]))
    out["region_rating"] = sig["region_rating_3"] * (apps["REGION_RATING_CLIENT"].to_numpy(dtype=float) == 3)
    out["social_circle"] = sig["social_circle_default"] * (
        _nan0(apps["DEF_30_CNT_SOCIAL_CIRCLE"].to_numpy(dtype=float)) >= 1
    )
    lb = sig["low_ext2_high_burden"]
    ext2 = apps["EXT_SOURCE_2"].to_numpy(dtype=float)
    out["low_ext2_high_burden"] = (
        lb["effect"]
        * ((_nan0(ext2) < lb["ext2_below"]) & ~np.isnan(ext2))
        * (_nan0(burden) > lb["burden_above"])
    )
    return pd.DataFrame(out, index=apps.index)


def side_terms(side: pd.DataFrame, sig: dict[str, Any]) -> pd.DataFrame:
    """Per-applicant logit contributions read from the side tables' observed behaviour."""
    s = sig["side"]
    out = {
        "inst_late": s["inst_late_share"] * _nan0(side["inst_late_share"]),
        "inst_short": s["inst_short_share"] * _nan0(side["inst_short_share"]),
        "bureau_overdue": s["bureau_overdue_active"]["per_credit"]
        * np.minimum(_nan0(side["bureau_overdue_active"]), s["bureau_overdue_active"]["cap"]),
        "bureau_debt": s["bureau_active_debt_to_income"]
        * np.log1p(np.maximum(_nan0(side["bureau_active_debt_to_income"]), 0.0)),
        "prev_refused": s["prev_refused_share"] * _nan0(side["prev_refused_share"]),
        "pos_dpd": s["pos_dpd_share"] * _nan0(side["pos_dpd_share"]),
        "cc_utilisation": s["cc_utilisation"]["slope"]
        * np.maximum(_nan0(side["cc_utilisation"]) - s["cc_utilisation"]["threshold"], 0.0),
        "no_history": s["no_history"] * side["inst_late_share"].isna().to_numpy(),
    }
    return pd.DataFrame(out, index=side.index)


def solve_intercept(score: np.ndarray, target_rate: float) -> float:
    """Intercept b such that mean(sigmoid(b + score)) equals target_rate."""
    return float(brentq(lambda b: expit(b + score).mean() - target_rate, -30.0, 30.0, xtol=1e-10))


def true_probability(
    apps: pd.DataFrame,
    side: pd.DataFrame,
    sig: dict[str, Any],
    calibrate_on: np.ndarray,
    target_rate: float,
) -> tuple[np.ndarray, pd.DataFrame]:
    """p_true for every applicant, and the table of logit terms.

    The intercept is solved on the `calibrate_on` rows (the train population) for the configured default rate.
    """
    terms = pd.concat([application_terms(apps, sig), side_terms(side.set_axis(apps.index), sig)], axis=1)
    score = sig["scale"] * terms.to_numpy().sum(axis=1)
    b = solve_intercept(score[calibrate_on], target_rate)
    return expit(b + score), terms
