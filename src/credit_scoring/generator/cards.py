"""credit_card_balance: monthly balances of the approved cards, and the card payments that
installments_payments shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from credit_scoring.generator.child_common import (
    DAYS_PER_MONTH,
    Applicants,
    as_int,
    expand,
    intercept,
    round2,
    spec_frame,
)
from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.spec import DatasetSpec


def cards(
    a: Applicants, ctx: dict[str, np.ndarray], spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The credit_card_balance table, and the card months paid (future installments_payments rows)."""
    tab = spec["credit_card_balance"]
    cidx = np.flatnonzero(ctx["card"] & (ctx["c_rows"] > 0))
    rows = ctx["c_rows"][cidx]
    cp, pos = expand(rows)
    t = cp.size
    nc = cidx.size
    months = ctx["c_start"][cidx][cp] + pos
    app = ctx["app"][cidx]
    r_c = a.risk[app]

    completed = pos > ctx["c_close"][cidx][cp]
    signed = (pos == 0) & (rng.random(nc) < 0.06)[cp] & ~completed
    limit = np.where(completed, 0.0, ctx["card_limit"][cidx][cp])

    # use and utilisation, both rising with risk
    x_use = p.card_use_risk * r_c + p.card_noise * rng.standard_normal(a.n)[app]
    a_use = intercept(x_use, p.card_use_rate, weights=rows)
    used = (rng.random(t, dtype=np.float32) < expit(a_use + x_use)[cp]) & ~completed & ~signed
    util_c = expit(p.card_util_base + p.card_util_risk * r_c + p.card_noise * rng.standard_normal(a.n)[app])
    util = np.clip(util_c[cp] * (1 + 0.25 * rng.standard_normal(t)), 0.005, 1.1)
    balance = np.where(used, round2(limit * util), 0.0)

    # DPD spells
    x_dpd = p.card_dpd_risk * r_c
    a_dpd = intercept(x_dpd, p.card_dpd_rate)
    dpd_card = rng.random(nc) < expit(a_dpd + x_dpd)
    sp_start = np.floor(rng.random(nc) * rows).astype(np.int64)
    sp_len = np.where(dpd_card, np.where(rng.random(nc) < p.card_dpd_severe, 999, rng.geometric(0.35, nc)), 0)
    rel = pos - sp_start[cp]
    in_spell = (rel >= 0) & (rel < sp_len[cp]) & ~completed
    sk_dpd = np.where(in_spell, 30 * rel + rng.integers(1, 31, nc)[cp], 0).astype(np.int64)
    del rel
    u = rng.random(t)
    sk_dpd_def = np.where((sk_dpd > 0) & (u < 0.3), 1, np.where((sk_dpd > 0) & (u < 0.31), sk_dpd, 0))

    # drawings
    draw = used & (rng.random(t, dtype=np.float32) < p.card_draw_prob)
    amt_draw = np.where(draw, np.round(limit * rng.uniform(0.02, 0.5, t), -2), 0.0)
    kind = rng.random(t, dtype=np.float32)
    atm = np.where(kind < 0.45, amt_draw, np.where(kind >= 0.9, np.round(amt_draw / 2, 2), 0.0))
    posd = amt_draw - atm
    other = np.where(draw & (rng.random(t, dtype=np.float32) < 0.005), np.round(limit * 0.1, -2), 0.0)
    cnt_atm = np.where(atm > 0, 1 + rng.poisson(0.8, t), 0)
    cnt_pos = np.where(posd > 0, 1 + rng.poisson(2.5, t), 0)
    cnt_other = (other > 0).astype(np.int64)
    miss_draw = rng.random(t, dtype=np.float32) < tab["AMT_DRAWINGS_ATM_CURRENT"].missing_rate

    def nan_if(mask: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.where(mask, np.nan, x.astype(float))

    # payments
    min_reg = np.where(balance > 0, round2(np.maximum(0.06 * balance, np.minimum(balance, 450.0))), 0.0)
    paid = (used | (rng.random(t, dtype=np.float32) < 0.6)) & ~completed & (sk_dpd == 0)
    full = rng.random(t, dtype=np.float32) < 0.05
    pay = np.where(full, balance, np.minimum(min_reg * np.exp(rng.normal(0.3, 0.8, t)), balance))
    pay = np.where(used, pay, limit * rng.uniform(0.0005, 0.02, t))
    pay = round2(np.maximum(pay, min_reg))
    pay_total = np.where(paid, round2(pay * np.where(rng.random(t) < 0.8, 1.0, rng.random(t))), 0.0)
    starts = np.cumsum(rows) - rows
    cum_paid = np.cumsum(paid, dtype=np.int64)
    mature = cum_paid - (cum_paid[starts] - paid[starts])[cp]
    miss_reg = rng.random(t, dtype=np.float32) < tab["AMT_INST_MIN_REGULARITY"].missing_rate
    status = np.array(["Active", "Completed", "Signed"], dtype=object)[
        np.where(completed, 1, np.where(signed, 2, 0))
    ]

    data = {
        "SK_ID_PREV": ctx["ids"][cidx][cp],
        "SK_ID_CURR": ctx["curr"][cidx][cp],
        "MONTHS_BALANCE": months.astype(np.int64),
        "AMT_BALANCE": balance,
        "AMT_CREDIT_LIMIT_ACTUAL": as_int(limit),
        "AMT_DRAWINGS_ATM_CURRENT": nan_if(miss_draw, atm),
        "AMT_DRAWINGS_CURRENT": amt_draw + other,
        "AMT_DRAWINGS_OTHER_CURRENT": nan_if(miss_draw, other),
        "AMT_DRAWINGS_POS_CURRENT": nan_if(miss_draw, posd),
        "AMT_INST_MIN_REGULARITY": nan_if(miss_reg, min_reg),
        "AMT_PAYMENT_CURRENT": np.where(paid, pay, np.nan),
        "AMT_PAYMENT_TOTAL_CURRENT": pay_total,
        "AMT_RECEIVABLE_PRINCIPAL": round2(balance * rng.uniform(0.9, 1.0, t)),
        "AMT_RECIVABLE": balance,
        "AMT_TOTAL_RECEIVABLE": balance,
        "CNT_DRAWINGS_ATM_CURRENT": nan_if(miss_draw, cnt_atm),
        "CNT_DRAWINGS_CURRENT": (cnt_atm + cnt_pos + cnt_other).astype(np.int64),
        "CNT_DRAWINGS_OTHER_CURRENT": nan_if(miss_draw, cnt_other),
        "CNT_DRAWINGS_POS_CURRENT": nan_if(miss_draw, cnt_pos),
        "CNT_INSTALMENT_MATURE_CUM": nan_if(miss_reg, mature),
        "NAME_CONTRACT_STATUS": status,
        "SK_DPD": sk_dpd,
        "SK_DPD_DEF": sk_dpd_def.astype(np.int64),
    }
    # card months with a payment become version-0 rows of installments_payments
    n_inst = paid * (1 + (rng.random(t, dtype=np.float32) < p.card_extra_payment))
    sel = np.repeat(np.arange(t), n_inst)
    cnum = np.cumsum(n_inst, dtype=np.int64)
    cnum = (cnum - (cnum[starts] - n_inst[starts])[cp])[sel]
    second = np.zeros(sel.size, dtype=bool)
    if sel.size:
        second[1:] = sel[1:] == sel[:-1]
    inst_amt = np.where(min_reg > 0, min_reg, pay)[sel]
    inst = {
        "prev": cidx[cp[sel]],
        "number": cnum - (n_inst[sel] - 1) + second,
        "due": np.round((months[sel] + 1) * DAYS_PER_MONTH) - rng.integers(1, 10, sel.size) - 15 * ~second,
        "amt": np.where(second, round2(inst_amt * rng.uniform(0.2, 1.0, sel.size)), inst_amt),
    }
    return spec_frame(data, tab), inst
