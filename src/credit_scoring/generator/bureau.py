"""bureau and bureau_balance: the applicants' credits at other institutions and their monthly statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from credit_scoring.generator.child_common import (
    MAX_HISTORY_DAYS,
    Applicants,
    applicant_rows,
    as_int,
    expand,
    intercept,
    mix,
    month_of,
    round2,
    safe_mean,
    spec_frame,
)
from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.spec import DatasetSpec

_BB_LABELS = np.array(["C", "0", "X", "1", "2", "3", "4", "5"], dtype=object)
_BB_C, _BB_0, _BB_X, _BB_1 = 0, 1, 2, 3


def bureau(
    a: Applicants, spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The bureau table, and what bureau_balance needs of each credit (id, history, months, DPD episode)."""
    tab = spec["bureau"]
    par, ids = applicant_rows(
        a, spec, rng, p, "bureau_per_applicant", "bureau rows per SK_ID_CURR", 5_000_000, p.bureau_id_span
    )
    m = par.size
    r = a.risk[par]

    # dates: DAYS_CREDIT -> DAYS_CREDIT_ENDDATE -> CREDIT_ACTIVE
    z_days = rng.standard_normal(m)
    dc = np.round(tab["DAYS_CREDIT"].ppf(ndtr(z_days)) * a.hist_scale[par])
    dc = np.clip(dc, -MAX_HISTORY_DAYS, 0)
    z_end = mix(z_days, rng, p.bureau_end_corr)
    end = tab["DAYS_CREDIT_ENDDATE"].sample(z_end, rng).astype(float)
    bad = end < dc
    end[bad] = dc[bad] + rng.integers(0, 366, int(bad.sum()))
    status = tab["CREDIT_ACTIVE"].sample(
        mix(z_end, rng, p.bureau_active_corr), rng, order=["Closed", "Sold", "Bad debt", "Active"]
    )
    closed = status == "Closed"
    active = status == "Active"

    planned = np.where(np.isnan(end), 0.0, np.minimum(end, 0.0))
    frac = rng.beta(2.0, 1.3, m)
    fact = np.minimum(np.round(dc + frac * (planned - dc)), 0.0)
    fact = np.where(closed, np.maximum(fact, dc), np.nan)

    upd_active = np.maximum(-(rng.geometric(1 / 25.0, m) - 1).astype(float), dc)
    upd_closed = np.minimum(np.nan_to_num(fact) + rng.geometric(1 / 60.0, m) - 1, 0.0)
    upd_other = np.round(dc * rng.random(m))
    update = np.where(active, upd_active, np.where(closed, upd_closed, upd_other))

    # overdue now (Active only), driven by risk
    eps = rng.standard_normal(a.n)
    x_over = p.bureau_overdue_risk * r + p.bureau_overdue_noise * eps[par]
    active_share = max(safe_mean(active), 1e-9)
    a_over = intercept(x_over[active], min(p.bureau_overdue_rate / active_share, 0.9))
    overdue = active & (rng.random(m) < expit(a_over + x_over))
    od_days = np.exp(
        np.log(p.bureau_overdue_days_median) + p.bureau_overdue_days_sigma * rng.standard_normal(m)
    )
    od_days = np.clip(np.ceil(od_days), 1, np.maximum(-dc, 1))
    day_overdue = np.where(overdue, od_days, 0).astype(np.int64)

    # amounts
    z_sum = mix(a.z_inc[par], rng, p.amount_income_corr)
    amt_sum = round2(tab["AMT_CREDIT_SUM"].sample(z_sum, rng))
    ctype = tab["CREDIT_TYPE"].sample(rng.standard_normal(m), rng)
    card = ctype == "Credit card"
    with np.errstate(divide="ignore", invalid="ignore"):
        elapsed = np.where((end > 0) & (end > dc), -dc / (end - dc), rng.random(m))
    remaining = np.clip(1 - 0.6 * elapsed + 0.15 * rng.standard_normal(m), 0.1, 1.0)
    remaining = np.where(card, rng.beta(2.0, 1.5, m), remaining) ** np.exp(-p.bureau_debt_risk * r)
    debt = np.where(active, amt_sum * remaining, 0.0)
    debt = np.where(active & (rng.random(m) < 0.07) & ~overdue, 0.0, debt)
    debt = np.where(~active & ~closed, amt_sum * rng.random(m), debt)
    debt = round2(np.where(rng.random(m) < tab["AMT_CREDIT_SUM_DEBT"].missing_rate, np.nan, debt))
    limit = np.where(card & active & (rng.random(m) < 0.3), np.maximum(amt_sum - np.nan_to_num(debt), 0), 0.0)
    limit = round2(np.where(rng.random(m) < tab["AMT_CREDIT_SUM_LIMIT"].missing_rate, np.nan, limit))
    months_od = np.minimum(np.ceil(day_overdue / 30.0), 6)
    sum_over = np.where(
        overdue & (rng.random(m) < 0.85), amt_sum * 0.002 * rng.uniform(0.3, 1.5, m) * months_od, 0.0
    )
    sum_over = round2(np.minimum(sum_over, np.maximum(amt_sum, 0)))

    # past delinquency episodes (visible in bureau_balance and AMT_CREDIT_MAX_OVERDUE)
    months_start = month_of(dc)
    length = -months_start + 1  # months from the credit's start to 0
    close_m = np.where(closed, month_of(np.nan_to_num(fact)), 1).astype(np.int32)
    open_months = np.maximum(np.minimum(close_m, 0) - months_start + 1, 1)
    ep_start = (months_start + np.floor(rng.random(m) * open_months)).astype(np.int32)
    minor_len = np.minimum(rng.geometric(1 - p.bb_dpd_continue, m), 4)
    ep_len = np.where(rng.random(m) < p.bb_severe_share, 999, minor_len).astype(np.int32)
    ep_rows = np.minimum(ep_len, np.minimum(close_m, 0) - ep_start + 1).clip(min=0)

    # which credits have monthly history: share and mean length of the spec (mild preference for recent)
    bb_vol = spec.volumes["mean_child_rows_per_parent"]["bureau_balance_per_bureau_row"]
    share_h = float(bb_vol["share_bureau_ids_with_any_upper_bound"])
    mean_h = float(bb_vol["mean_over_all_bureau_rows"]) / share_h
    lam = _recency_rate(length, mean_h)
    w = np.exp(-lam * (length - length.mean())) if m else np.zeros(0)
    hist = rng.random(m) < np.minimum(share_h * w / max(w.mean(), 1e-12), 1.0) if m else np.zeros(0, bool)

    # episode probability calibrated so that "1".."5" rows reach the spec share of bureau_balance rows
    bb_status = spec["bureau_balance"]["STATUS"].levels or {}
    dpd_share = sum(v for k, v in bb_status.items() if k in {"1", "2", "3", "4", "5"})
    cur_rows = np.where(overdue, np.minimum(np.ceil(day_overdue / 30.0), length), 0)
    hl = length[hist].sum()
    needed = max(dpd_share * hl - cur_rows[hist].sum(), 0.0)
    x_ep = p.bb_dpd_risk * r + p.bb_dpd_noise * rng.standard_normal(a.n)[par]
    wts = ep_rows[hist] * ~overdue[hist]
    a_ep = intercept(x_ep[hist], needed / max(wts.sum(), 1.0), weights=wts) if wts.sum() > 0 else -30.0
    episode = (rng.random(m) < expit(a_ep + x_ep)) & ~overdue
    # the current overdue spell ends at month 0 with the bucket of CREDIT_DAY_OVERDUE
    ep_start = np.where(overdue, 1 - np.ceil(day_overdue / 30.0), ep_start).astype(np.int32)
    ep_len = np.where(overdue, 999, np.where(episode, ep_len, 0)).astype(np.int32)

    max_over_col = tab["AMT_CREDIT_MAX_OVERDUE"]
    had_dpd = overdue | (episode & (rng.random(m) < 0.6)) | (rng.random(m) < 0.02)
    max_over = np.where(had_dpd, max_over_col.ppf(rng.uniform(0.8, 1.0, m)), 0.0)
    max_over = np.maximum(max_over, sum_over)
    max_over = round2(np.where(rng.random(m) < max_over_col.missing_rate, np.nan, max_over))

    data = {
        "SK_ID_CURR": a.curr[par],
        "SK_ID_BUREAU": ids,
        "CREDIT_ACTIVE": status,
        "CREDIT_CURRENCY": tab["CREDIT_CURRENCY"].sample(rng.standard_normal(m), rng),
        "DAYS_CREDIT": as_int(dc),
        "CREDIT_DAY_OVERDUE": day_overdue,
        "DAYS_CREDIT_ENDDATE": end,
        "DAYS_ENDDATE_FACT": fact,
        "AMT_CREDIT_MAX_OVERDUE": max_over,
        "CNT_CREDIT_PROLONG": as_int(tab["CNT_CREDIT_PROLONG"].sample(rng.standard_normal(m), rng)),
        "AMT_CREDIT_SUM": amt_sum,
        "AMT_CREDIT_SUM_DEBT": debt,
        "AMT_CREDIT_SUM_LIMIT": limit,
        "AMT_CREDIT_SUM_OVERDUE": sum_over,
        "CREDIT_TYPE": ctype,
        "DAYS_CREDIT_UPDATE": as_int(update),
        "AMT_ANNUITY": round2(tab["AMT_ANNUITY"].sample(mix(z_sum, rng, 0.7), rng)),
    }
    ctx = {
        "ids": ids,
        "hist": hist,
        "months_start": months_start,
        "close_m": close_m,
        "ep_start": ep_start,
        "ep_len": ep_len,
    }
    return spec_frame(data, spec["bureau"]), ctx


def _recency_rate(length: np.ndarray, target_mean: float) -> float:
    """Rate ``lam`` such that weighting lengths by exp(-lam*L) gives the target mean length."""
    if length.size == 0:
        return 0.0
    ls = length[:: max(1, length.size // 250_000)].astype(float)
    c = ls.mean()

    def mean_at(lam: float) -> float:
        w = np.exp(-lam * (ls - c))
        return float((ls * w).sum() / w.sum())

    lo, hi = -0.2, 0.2
    if mean_at(lo) <= target_mean:
        return lo
    if mean_at(hi) >= target_mean:
        return hi
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if mean_at(mid) > target_mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def bureau_balance(
    ctx: dict[str, np.ndarray], spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> pd.DataFrame:
    """Monthly statuses of the bureau credits with a history, sorted by SK_ID_BUREAU."""
    ids = ctx["ids"]
    hidx = np.flatnonzero(ctx["hist"])
    hidx = hidx[np.argsort(ids[hidx], kind="stable")]  # bureau_balance sorted by SK_ID_BUREAU
    ms = ctx["months_start"][hidx]
    length = (-ms + 1).astype(np.int64)
    par, pos = expand(length)
    del length
    months = ms[par] + pos
    del pos
    nh = hidx.size
    st = np.full(par.size, _BB_0, dtype=np.uint8)
    x_rate = np.where(rng.random(nh) < p.bb_all_x_share, 1.0, p.bb_x_sporadic).astype(np.float32)
    st[rng.random(par.size, dtype=np.float32) < x_rate[par]] = _BB_X
    rel = months - ctx["ep_start"][hidx][par]
    dpd = (rel >= 0) & (rel < ctx["ep_len"][hidx][par])
    st[dpd] = (_BB_1 + np.minimum(rel[dpd], 4)).astype(np.uint8)
    del rel, dpd
    st[months > ctx["close_m"][hidx][par]] = _BB_C
    data = {
        "SK_ID_BUREAU": ids[hidx][par],
        "MONTHS_BALANCE": months.astype(np.int64),
        "STATUS": _BB_LABELS[st],
    }
    return spec_frame(data, spec["bureau_balance"])
