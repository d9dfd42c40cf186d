"""installments_payments and POS_CASH_balance: the due instalments, the risk-driven payment behaviour on them,
and the monthly POS / cash loan statuses that show it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from credit_scoring.generator.child_common import (
    DAYS_PER_MONTH,
    Applicants,
    const_array,
    expand,
    intercept,
    levels_from_u,
    round2,
    spec_frame,
)
from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.spec import DatasetSpec


def instalment_schedule(
    ctx: dict[str, np.ndarray], card_inst: dict[str, np.ndarray], spec: DatasetSpec, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One row per due instalment (loans and card months), in (SK_ID_CURR, SK_ID_PREV, number) order."""
    m = ctx["ids"].size
    k = np.where(ctx["loan"], ctx["k"], 0)
    card_cnt = np.bincount(card_inst["prev"], minlength=m)[:m] if card_inst["prev"].size else np.zeros(m, int)
    counts = k + card_cnt
    off = np.cumsum(counts) - counts
    total = int(counts.sum())
    prev = np.empty(total, dtype=np.int32)
    number = np.empty(total, dtype=np.int64)
    due = np.empty(total, dtype=np.float64)
    amt = np.empty(total, dtype=np.float64)
    version = np.empty(total, dtype=np.float64)

    lidx = np.flatnonzero(k > 0)
    lp, j = expand(k[lidx])
    at = off[lidx][lp] + j
    li = lidx[lp]
    prev[at] = li
    number[at] = j + 1
    due[at] = ctx["f"][li] + np.round(DAYS_PER_MONTH * j)
    n, n_eff = ctx["n"][li], ctx["n_eff"][li]
    last_early = ctx["early"][li] & (j == n_eff - 1)
    amt[at] = round2(ctx["annuity"][li] * np.where(last_early, 0.9 * (n - n_eff + 1), 1.0))
    v_col = spec["installments_payments"]["NUM_INSTALMENT_VERSION"]
    v_max = levels_from_u(v_col, rng.random(lidx.size), exclude=["0"])
    change = np.floor(rng.random(lidx.size) * k[lidx])
    version[at] = np.where(j >= change[lp], v_max[lp], 1.0)
    del lp, j, li, n, n_eff, last_early

    if card_inst["prev"].size:
        at = off[card_inst["prev"]] + card_inst["number"] - 1
        prev[at] = card_inst["prev"]
        number[at] = card_inst["number"]
        due[at] = card_inst["due"]
        amt[at] = round2(card_inst["amt"])
        version[at] = 0.0
    return {"prev": prev, "number": number, "due": due, "amt": amt, "version": version, "off": off}


def payments(
    a: Applicants,
    ctx: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    rng: np.random.Generator,
    p: ChildrenParams,
) -> dict[str, np.ndarray]:
    """Late / short payment behaviour per due instalment, driven by the applicant's risk."""
    b = sched["prev"].size
    app = ctx["app"][sched["prev"]]
    x_late = p.inst_late_risk * a.risk + p.inst_late_noise * rng.standard_normal(a.n)
    x_short = p.inst_short_risk * a.risk + p.inst_short_noise * rng.standard_normal(a.n)
    w = np.bincount(app, minlength=a.n)[: a.n] if b else np.zeros(a.n)
    a_late = intercept(x_late, p.inst_late_rate, weights=w) if b else 0.0
    a_short = intercept(x_short, p.inst_short_rate, weights=w) if b else 0.0
    late = rng.random(b, dtype=np.float32) < expit(a_late + x_late).astype(np.float32)[app]
    short = rng.random(b, dtype=np.float32) < expit(a_short + x_short).astype(np.float32)[app]
    late_mean = p.inst_late_days_mean * np.exp(0.3 * a.risk[app])
    delay = np.where(
        late,
        1 + np.minimum(rng.exponential(1.0, b) * late_mean, 2000).astype(np.int64),
        1 - rng.geometric(1 / p.inst_early_days_mean, b),
    )
    entry = np.minimum(sched["due"] + delay, -1.0)
    pay = np.where(short, round2(sched["amt"] * rng.uniform(0.05, 0.95, b)), sched["amt"])
    entry2 = entry + rng.geometric(1 / 20.0, b)
    topup = short & (rng.random(b, dtype=np.float32) < p.inst_topup_prob) & (entry2 <= -1)
    return {"delay": delay, "entry": entry, "pay": pay, "entry2": entry2, "topup": topup}


def pos_cash(
    a: Applicants,
    ctx: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    beh: dict[str, np.ndarray],
    spec: DatasetSpec,
    rng: np.random.Generator,
    p: ChildrenParams,
) -> pd.DataFrame:
    """Monthly POS / cash loan statuses of the approved loans; their DPD shows the late instalments."""
    tab = spec["POS_CASH_balance"]
    lidx = np.flatnonzero(ctx["pos_rows"] > 0)
    rows = ctx["pos_rows"][lidx]
    lp, j = expand(rows)
    t = lp.size
    li = lidx[lp]
    k = ctx["k"][li]
    n = ctx["n"][li]
    months = ctx["m_start"][li] + j
    is_inst = j < k
    completion = ctx["completed"][li] & (j == k)
    default_row = ctx["default"][li] & (j >= k)
    future = np.where(completion, 0, np.maximum(n - j, 0)).astype(float)

    base = np.where(is_inst, sched["off"][li] + j, 0)
    dly = beh["delay"][base] if beh["delay"].size else np.zeros(t, dtype=np.int64)
    show = rng.random(t, dtype=np.float32) < p.pos_dpd_show_prob
    d0 = rng.integers(1, 31, lidx.size)[lp]
    sk_dpd = np.where(is_inst & (dly > 0) & show, dly, 0)
    sk_dpd = np.where(default_row, 30 * (j - k) + d0, sk_dpd).astype(np.int64)
    del base, dly, show
    def_visible = (rng.random(lidx.size) < 0.1)[lp]
    sk_dpd_def = np.where(default_row & def_visible, sk_dpd, 0)
    sk_dpd_def = np.where(
        ~default_row & (sk_dpd > 0) & (rng.random(t, dtype=np.float32) < 0.05), sk_dpd, sk_dpd_def
    )

    status = const_array(t, "Active")
    status[(j == 0) & (rng.random(lidx.size) < 0.09)[lp] & ~completion] = "Signed"
    status[completion] = "Completed"
    returned = completion & ctx["early"][li] & (rng.random(lidx.size) < 0.03)[lp]
    status[returned] = "Returned to the store"
    demand = default_row & (rng.random(lidx.size) < 0.05)[lp] & (j - k >= 3)
    status[demand] = "Demand"
    miss = rng.random(t, dtype=np.float32) < tab["CNT_INSTALMENT"].missing_rate
    data = {
        "SK_ID_PREV": ctx["ids"][li],
        "SK_ID_CURR": ctx["curr"][li],
        "MONTHS_BALANCE": months.astype(np.int64),
        "CNT_INSTALMENT": np.where(miss, np.nan, n.astype(float)),
        "CNT_INSTALMENT_FUTURE": np.where(miss, np.nan, future),
        "NAME_CONTRACT_STATUS": status,
        "SK_DPD": sk_dpd,
        "SK_DPD_DEF": sk_dpd_def.astype(np.int64),
    }
    return spec_frame(data, tab)


def installments(
    ctx: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    beh: dict[str, np.ndarray],
    spec: DatasetSpec,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per payment: each due instalment, plus a top-up row after some short payments."""
    tab = spec["installments_payments"]
    topup = beh["topup"]
    rep = 1 + topup.astype(np.int64)
    idx = np.repeat(np.arange(topup.size, dtype=np.int64), rep)
    t = idx.size
    is_top = np.zeros(t, dtype=bool)
    if t:
        is_top[np.cumsum(rep) - 1] = topup
    amt = sched["amt"][idx]
    pay = beh["pay"][idx]
    pay = np.where(is_top, round2(amt - pay), pay)
    entry = np.where(is_top, beh["entry2"][idx], beh["entry"][idx])
    miss = rng.random(t, dtype=np.float32) < tab["AMT_PAYMENT"].missing_rate
    prev = sched["prev"][idx]
    data = {
        "SK_ID_PREV": ctx["ids"][prev],
        "SK_ID_CURR": ctx["curr"][prev],
        "NUM_INSTALMENT_VERSION": sched["version"][idx],
        "NUM_INSTALMENT_NUMBER": sched["number"][idx],
        "DAYS_INSTALMENT": sched["due"][idx],
        "DAYS_ENTRY_PAYMENT": np.where(miss, np.nan, entry),
        "AMT_INSTALMENT": amt,
        "AMT_PAYMENT": np.where(miss, np.nan, pay),
    }
    return spec_frame(data, tab)
