"""previous_application: the applicants' earlier Home Credit applications, and the timeline of the approved
ones (due dates, instalments and card months observed) that the other tables build on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from credit_scoring.generator.child_common import (
    DAYS_PER_MONTH,
    MAX_HISTORY_DAYS,
    SENTINEL,
    Applicants,
    applicant_rows,
    as_int,
    const_array,
    intercept,
    levels_from_u,
    mix,
    month_of,
    per_level,
    round2,
    safe_mean,
    spec_frame,
)
from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.spec import DatasetSpec, TableSpec

_STATUS = np.array(["Approved", "Canceled", "Refused", "Unused offer"], dtype=object)
_APPROVED, _CANCELED, _REFUSED, _UNUSED = 0, 1, 2, 3
_YIELD_MONTHLY_RATE = {"XNA": 0.025, "low_action": 0.01, "low_normal": 0.02, "middle": 0.03, "high": 0.045}


def previous(
    a: Applicants, spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The previous_application table, and the approved applications' timeline the other tables build on."""
    tab = spec["previous_application"]
    par, ids = applicant_rows(
        a,
        spec,
        rng,
        p,
        "previous_per_applicant",
        "previous_application rows per SK_ID_CURR",
        1_000_000,
        p.prev_id_span,
    )
    m = par.size
    r = a.risk[par]

    ctype = tab["NAME_CONTRACT_TYPE"].sample(rng.standard_normal(m), rng)
    cash, consumer, revolving = ctype == "Cash loans", ctype == "Consumer loans", ctype == "Revolving loans"
    xna_type = ~(cash | consumer | revolving)

    # status: refusals driven by risk, the rest split by product
    status_levels = tab["NAME_CONTRACT_STATUS"].levels or {}
    refused_total = float(status_levels.get("Refused", 0.17))
    ratio = dict(p.refused_type_ratio)
    type_share = {k: safe_mean(ctype == k) for k in ratio}
    norm = sum(type_share[k] * ratio[k] for k in ratio) or 1.0
    x_ref = p.refused_risk * r + p.refused_noise * rng.standard_normal(a.n)[par]
    prob_ref = np.zeros(m)
    for k, rel in ratio.items():
        mask = ctype == k
        if mask.any():
            a_k = intercept(x_ref[mask], min(refused_total * rel / norm, 0.95))
            prob_ref[mask] = expit(a_k + x_ref[mask])
    refused = rng.random(m) < prob_ref
    status = np.full(m, _CANCELED, dtype=np.int8)
    u = rng.random(m)
    for k, (s_app, s_can, s_unu) in p.status_split:
        mask = (ctype == k) if k != "XNA" else xna_type
        tot = s_app + s_can + s_unu
        st_k = np.where(u < s_app / tot, _APPROVED, np.where(u < (s_app + s_can) / tot, _CANCELED, _UNUSED))
        status = np.where(mask, st_k, status).astype(np.int8)
    status[refused & ~xna_type] = _REFUSED
    approved = status == _APPROVED
    canceled = status == _CANCELED

    # decision date: approved ones older, approved cards older still
    app_share = max(safe_mean(approved), 1e-9)
    shift = np.where(
        approved, -p.approved_age_shift, p.approved_age_shift * app_share / max(1 - app_share, 1e-9)
    )
    shift = shift - np.where(approved & revolving, p.revolving_age_shift, 0.0)
    z_dec = (rng.standard_normal(m) + shift) / np.sqrt(1 + safe_mean((shift - safe_mean(shift)) ** 2))
    dd = np.round(tab["DAYS_DECISION"].ppf(ndtr(z_dec)) * a.hist_scale[par])
    dd = np.clip(dd, -MAX_HISTORY_DAYS, -1)

    # amounts, one copula score for application, credit and goods price
    z_amt = mix(a.z_inc[par], rng, p.amount_income_corr)
    z_amt = (
        z_amt + np.where(consumer, -p.consumer_amount_shift, np.where(cash, p.consumer_amount_shift, 0.0))
    ) / (np.sqrt(1 + p.consumer_amount_shift**2 * 0.9))
    lo = p.canceled_zero_amount * safe_mean(canceled)  # the zero amounts sit below this quantile
    amt_app = tab["AMT_APPLICATION"].ppf(lo + (1 - lo) * ndtr(z_amt))
    amt_credit = tab["AMT_CREDIT"].ppf(lo + (1 - lo) * ndtr(mix(z_amt, rng, 0.97)))
    goods = tab["AMT_GOODS_PRICE"].ppf(0.01 + 0.99 * ndtr(mix(z_amt, rng, 0.97)))
    card_limit = spec["credit_card_balance"]["AMT_CREDIT_LIMIT_ACTUAL"].ppf(0.03 + 0.97 * ndtr(z_amt))
    card_limit = np.maximum(np.round(card_limit / 2250.0) * 2250.0, 22500.0)
    amt_app = np.where(revolving, card_limit, amt_app)
    amt_credit = np.where(revolving, card_limit, amt_credit)
    zero = canceled & (rng.random(m) < p.canceled_zero_amount)
    amt_app = np.where(zero, 0.0, amt_app)
    amt_credit = np.where(zero, 0.0, amt_credit)
    no_terms = canceled | xna_type | (revolving & ~approved)
    goods = np.where(revolving, amt_credit, goods)
    goods = np.where(no_terms, np.nan, goods)

    # terms
    cnt_col = tab["CNT_PAYMENT"]
    t_shift = np.where(
        approved, -p.approved_term_shift, p.approved_term_shift * app_share / max(1 - app_share, 1e-9)
    )
    z_cnt = (mix(z_amt, rng, p.term_amount_corr) + t_shift) / np.sqrt(
        1 + safe_mean((t_shift - safe_mean(t_shift)) ** 2)
    )
    n_pay = levels_from_u(cnt_col, ndtr(z_cnt), exclude=["0"])
    n_pay = np.where(revolving, 0.0, n_pay)
    n_pay = np.where(no_terms, np.nan, n_pay)

    # product detail, consistent with the product type and status
    pc_col = tab["PRODUCT_COMBINATION"]
    pc_levels = list(pc_col.levels or {})
    u = rng.random(m)
    combo = const_array(m, None)
    combo[cash] = levels_from_u(pc_col, u[cash], only=[k for k in pc_levels if k.startswith("Cash ")])
    combo[cash & canceled] = "Cash"
    combo[consumer] = levels_from_u(pc_col, u[consumer], only=[k for k in pc_levels if k.startswith("POS")])
    combo[revolving] = levels_from_u(pc_col, u[revolving], only=["Card Street", "Card X-Sell"])
    product_type = per_level(
        combo,
        lambda c: "x-sell" if "X-Sell" in c else "walk-in" if c.startswith("Cash Street") else "XNA",
        "XNA",
    )
    ylabels = np.array(["XNA", "low_action", "low_normal", "middle", "high"], dtype=object)
    suffix = {": low": 2, ": middle": 3, ": high": 4}
    ycode = per_level(combo, lambda c: next((v for k, v in suffix.items() if c.endswith(k)), 0), 0).astype(
        np.int8
    )
    pos_with = per_level(combo, lambda c: c.startswith("POS") and "with interest" in c, False).astype(bool)
    pos_without = per_level(combo, lambda c: c.startswith("POS") and "without interest" in c, False).astype(
        bool
    )
    u = rng.random(m)
    ycode = np.where(pos_with, np.where(u < 0.45, 4, np.where(u < 0.8, 3, 2)), ycode)
    ycode = np.where(pos_without, np.where(u < 0.75, 1, 2), ycode)
    ycode = np.where(canceled, 0, ycode)
    yield_group = ylabels[ycode]
    plabels = np.array(["XNA", "Cash", "POS", "Cards"], dtype=object)
    portfolio = plabels[
        np.where(canceled, 0, np.where(cash, 1, np.where(consumer, 2, np.where(revolving, 3, 0))))
    ]
    pay_col = tab["NAME_PAYMENT_TYPE"]
    pay_type = levels_from_u(pay_col, rng.random(m), exclude=["XNA"])
    pay_type[canceled | revolving | xna_type | ((status == _REFUSED) & (rng.random(m) < 0.5))] = "XNA"

    purpose_col = tab["NAME_CASH_LOAN_PURPOSE"]
    purpose = const_array(m, "XAP")
    purpose[cash] = levels_from_u(purpose_col, rng.random(int(cash.sum())), exclude=["XAP"])
    purpose[xna_type] = "XNA"
    goods_cat = const_array(m, "XNA")
    goods_cat[consumer] = levels_from_u(
        tab["NAME_GOODS_CATEGORY"], rng.random(int(consumer.sum())), exclude=["XNA"]
    )
    seller = const_array(m, "XNA")
    seller[consumer] = levels_from_u(
        tab["NAME_SELLER_INDUSTRY"], rng.random(int(consumer.sum())), exclude=["XNA"]
    )
    ch_col = tab["CHANNEL_TYPE"]
    pos_channels = ["Country-wide", "Stone", "Regional / Local", "Car dealer"]
    channel = levels_from_u(ch_col, rng.random(m), exclude=pos_channels)
    channel[consumer] = levels_from_u(ch_col, rng.random(int(consumer.sum())), only=pos_channels)

    # annuity: instalment formula on the credit amount; cards pay a share of the limit
    rate = np.array([_YIELD_MONTHLY_RATE[str(k)] for k in ylabels])[ycode]
    n_safe = np.where(np.nan_to_num(n_pay) > 0, np.nan_to_num(n_pay), 1.0)
    annuity = amt_credit * rate / (1 - (1 + rate) ** (-n_safe))
    annuity = np.where(revolving, card_limit * rng.uniform(0.03, 0.1, m), annuity)
    annuity = round2(np.where(no_terms, np.nan, annuity))

    down_rate = np.where(consumer, tab["RATE_DOWN_PAYMENT"].ppf(ndtr(mix(-z_amt, rng, 0.6))), np.nan)
    down_amt = round2(down_rate * np.where(np.isnan(goods), amt_app, goods))

    # client type: an applicant's earliest application is usually "New"
    ct_col = tab["NAME_CLIENT_TYPE"]
    client = levels_from_u(ct_col, rng.random(m), exclude=["New"])
    first = np.zeros(m, dtype=bool)
    if m:
        order = np.lexsort((dd, par))
        is_first = np.r_[True, par[order][1:] != par[order][:-1]]
        first[order[is_first]] = True
    client[first & (rng.random(m) < p.first_client_new)] = "New"

    # ---- timeline of approved applications ------------------------------------------------------------
    tl = _timeline(dd, n_pay, approved, revolving, r, rng, p, tab)

    status_lbl = _STATUS[status]
    reject_col = tab["CODE_REJECT_REASON"]
    reject = const_array(m, "XAP")
    reject[status == _REFUSED] = levels_from_u(
        reject_col, rng.random(int((status == _REFUSED).sum())), exclude=["XAP", "CLIENT"]
    )
    reject[status == _UNUSED] = "CLIENT"

    def approved_only(x: np.ndarray) -> np.ndarray:
        return np.where(approved, x, np.nan)

    insured_col = tab["NFLAG_INSURED_ON_APPROVAL"]
    data = {
        "SK_ID_PREV": ids,
        "SK_ID_CURR": a.curr[par],
        "NAME_CONTRACT_TYPE": ctype,
        "AMT_ANNUITY": annuity,
        "AMT_APPLICATION": round2(amt_app),
        "AMT_CREDIT": round2(amt_credit),
        "AMT_DOWN_PAYMENT": down_amt,
        "AMT_GOODS_PRICE": round2(goods),
        "WEEKDAY_APPR_PROCESS_START": tab["WEEKDAY_APPR_PROCESS_START"].sample(rng.standard_normal(m), rng),
        "HOUR_APPR_PROCESS_START": as_int(tab["HOUR_APPR_PROCESS_START"].sample(rng.standard_normal(m), rng)),
        "FLAG_LAST_APPL_PER_CONTRACT": tab["FLAG_LAST_APPL_PER_CONTRACT"].sample(rng.standard_normal(m), rng),
        "NFLAG_LAST_APPL_IN_DAY": as_int(tab["NFLAG_LAST_APPL_IN_DAY"].sample(rng.standard_normal(m), rng)),
        "RATE_DOWN_PAYMENT": down_rate,
        "RATE_INTEREST_PRIMARY": tab["RATE_INTEREST_PRIMARY"]
        .sample(rng.standard_normal(m), rng)
        .astype(float),
        "RATE_INTEREST_PRIVILEGED": tab["RATE_INTEREST_PRIVILEGED"]
        .sample(rng.standard_normal(m), rng)
        .astype(float),
        "NAME_CASH_LOAN_PURPOSE": purpose,
        "NAME_CONTRACT_STATUS": status_lbl,
        "DAYS_DECISION": as_int(dd),
        "NAME_PAYMENT_TYPE": pay_type,
        "CODE_REJECT_REASON": reject,
        "NAME_TYPE_SUITE": tab["NAME_TYPE_SUITE"].sample(rng.standard_normal(m), rng),
        "NAME_CLIENT_TYPE": client,
        "NAME_GOODS_CATEGORY": goods_cat,
        "NAME_PORTFOLIO": portfolio,
        "NAME_PRODUCT_TYPE": product_type,
        "CHANNEL_TYPE": channel,
        "SELLERPLACE_AREA": as_int(tab["SELLERPLACE_AREA"].sample(rng.standard_normal(m), rng)),
        "NAME_SELLER_INDUSTRY": seller,
        "CNT_PAYMENT": n_pay,
        "NAME_YIELD_GROUP": yield_group,
        "PRODUCT_COMBINATION": combo,
        "DAYS_FIRST_DRAWING": approved_only(tl["first_drawing"]),
        "DAYS_FIRST_DUE": approved_only(tl["first_due"]),
        "DAYS_LAST_DUE_1ST_VERSION": approved_only(tl["last_due_1st"]),
        "DAYS_LAST_DUE": approved_only(tl["last_due"]),
        "DAYS_TERMINATION": approved_only(tl["termination"]),
        "NFLAG_INSURED_ON_APPROVAL": approved_only(levels_from_u(insured_col, rng.random(m))),
    }
    ctx = dict(tl)
    ctx.update(
        {
            "ids": ids,
            "curr": a.curr[par],
            "app": par,
            "annuity": np.nan_to_num(annuity),
            "card_limit": card_limit,
            "loan": approved & (cash | consumer),
            "card": approved & revolving,
            "n_pay": np.nan_to_num(n_pay).astype(np.int32),
            "dd": dd,
        }
    )
    return spec_frame(data, tab), ctx


def _timeline(
    dd: np.ndarray,
    n_pay: np.ndarray,
    approved: np.ndarray,
    revolving: np.ndarray,
    r: np.ndarray,
    rng: np.random.Generator,
    p: ChildrenParams,
    tab: TableSpec,
) -> dict[str, np.ndarray]:
    """Due dates of approved applications, and how many instalments / card months were observed."""
    m = dd.size
    loan = approved & ~revolving
    card = approved & revolving
    n = np.where(loan, np.nan_to_num(n_pay), 0).astype(np.int64)
    n = np.where(loan, np.maximum(n, 1), 0)

    fd_col = tab["DAYS_FIRST_DRAWING"]
    first_drawing = np.where(
        rng.random(m) < fd_col.sentinel_share_of_present,
        SENTINEL,
        np.minimum(dd + rng.integers(0, 11, m), -1),
    )
    f = dd + rng.integers(10, 46, m)  # first due about a month after the decision
    last1 = f + np.round(DAYS_PER_MONTH * (n - 1))

    early = loan & (n >= 2) & (rng.random(m) < 1 - (1 - p.early_repay_prob) ** (n / 12.0))
    n_eff = np.where(early, 1 + np.floor(rng.random(m) * (n - 1)).astype(np.int64), n)
    x_def = p.loan_default_risk * r
    a_def = intercept(x_def[loan], p.loan_default_rate)
    default = loan & (rng.random(m) < expit(a_def + x_def)) & (f <= -1)
    k_def = np.floor(rng.random(m) * n_eff).astype(np.int64)
    n_due = np.where(f <= -1, np.floor((-1 - f) / DAYS_PER_MONTH).astype(np.int64) + 1, 0)
    k = np.where(default, np.minimum(n_due, k_def), np.minimum(n_due, n_eff))
    k = np.where(loan, k, 0)
    end_day = f + np.round(DAYS_PER_MONTH * (n_eff - 1))
    completed = loan & ~default & (end_day <= -1)
    m_start = month_of(np.minimum(f, -1))
    pos_rows = np.where(completed & (m_start + k <= -1), k + 1, k)
    pos_rows = np.where(default, np.maximum(k, -m_start), pos_rows)
    pos_rows = np.where(loan & (f <= -1), pos_rows, 0)

    last_due = np.where(completed, end_day, SENTINEL)
    termination = np.where(completed, np.minimum(end_day + rng.integers(0, 61, m), -1), SENTINEL)
    first_due = np.where(f <= -1, f, SENTINEL)
    last_due_1st = last1.astype(float)

    # cards: monthly history from the decision month to -1 (or to the closing month)
    c_start = month_of(dd)
    c_rows = np.where(card, -c_start, 0).astype(np.int64)
    closed_card = card & (rng.random(m) < p.card_closed_prob) & (c_rows >= 2)
    c_close = np.where(closed_card, np.floor(rng.random(m) * (c_rows - 1)).astype(np.int64), c_rows)
    close_day = np.minimum(np.round((c_start + c_close + 1) * DAYS_PER_MONTH) - 1, -1)
    first_due = np.where(card & (rng.random(m) < p.card_first_due_sentinel), SENTINEL, first_due)
    last_due_1st = np.where(card, SENTINEL, last_due_1st)
    last_due = np.where(card, np.where(closed_card, close_day, SENTINEL), last_due)
    termination = np.where(card, np.where(closed_card, close_day, SENTINEL), termination)
    return {
        "first_drawing": first_drawing.astype(float),
        "first_due": first_due.astype(float),
        "last_due_1st": last_due_1st,
        "last_due": last_due.astype(float),
        "termination": termination.astype(float),
        "f": f.astype(np.int64),
        "n": n,
        "n_eff": n_eff,
        "k": k,
        "early": early,
        "default": default,
        "completed": completed,
        "m_start": m_start,
        "pos_rows": pos_rows.astype(np.int64),
        "c_start": c_start,
        "c_rows": c_rows.astype(np.int64),
        "closed_card": closed_card,
        "c_close": c_close,
    }
