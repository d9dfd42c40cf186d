"""The six Home Credit side tables (bureau, bureau_balance, previous_application, POS_CASH_balance,
credit_card_balance, installments_payments) for a frame of applicants.

Everything is vectorised: variable-length histories are built with ``np.repeat``/``cumsum`` expansions, never
with Python loops over applicants or credits. Column marginals come from the packaged spec (Gaussian copula
through :meth:`ColumnSpec.sample` / :meth:`ColumnSpec.ppf`); the structural columns (dates, statuses, schedules)
are derived so that the tables are mutually consistent, and the applicant's latent ``risk`` drives the
behavioural ones (late/short instalments, overdue bureau credits, refusals, POS DPD, card utilisation).

Volumes (share of applicants with any rows, mean rows among them, maxima) are taken from ``spec.volumes``; the
constants that shape the distributions and the effect sizes live in :class:`ChildrenParams`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr, ndtri

from credit_scoring.generator.spec import ColumnSpec, DatasetSpec, TableSpec

DAYS_PER_MONTH = 30.4375
SENTINEL = 365243.0
MAX_HISTORY_DAYS = 2922  # 96 months: the window Home Credit kept
ADULT_DAYS = 6575  # 18 years
TABLES = (
    "bureau",
    "bureau_balance",
    "previous_application",
    "POS_CASH_balance",
    "credit_card_balance",
    "installments_payments",
)
_BB_LABELS = np.array(["C", "0", "X", "1", "2", "3", "4", "5"], dtype=object)
_BB_C, _BB_0, _BB_X, _BB_1 = 0, 1, 2, 3


@dataclass(frozen=True)
class ChildrenParams:
    """Shape parameters and planted-signal effect sizes of the side tables.

    Volume targets (share of applicants with any rows, mean rows among them, maxima) are read from
    ``spec.volumes``; the ``*_rate`` fields are marginal targets the intercepts are calibrated to, the ``*_risk``
    fields are logit slopes on the applicant's standard-normal risk, the ``*_noise`` fields the standard
    deviation of the applicant-level logit noise (idiosyncratic behaviour not explained by risk).
    """

    # ---- volumes -----------------------------------------------------------------------------------------
    count_dispersion: float = 1.6  # negative-binomial size of the extra rows per applicant (bureau, previous)
    count_age_effect: float = 0.25  # log-mean effect of standardised age on the bureau / previous counts
    bureau_id_span: float = 1.074  # SK_ID_BUREAU = 5,000,000 + a sample without replacement of [0, span*n)
    prev_id_span: float = 1.105  # SK_ID_PREV = 1,000,000 + a sample without replacement of [0, span*n)

    # ---- bureau ------------------------------------------------------------------------------------------
    bureau_end_corr: float = 0.8  # copula correlation DAYS_CREDIT -> DAYS_CREDIT_ENDDATE
    bureau_active_corr: float = 0.8  # copula correlation DAYS_CREDIT_ENDDATE -> CREDIT_ACTIVE (Active late)
    bureau_overdue_rate: float = 0.013  # share of ALL bureau rows with CREDIT_DAY_OVERDUE > 0 (Active only)
    bureau_overdue_risk: float = 1.3
    bureau_overdue_noise: float = 0.6
    bureau_overdue_days_median: float = 12.0
    bureau_overdue_days_sigma: float = 1.5
    bureau_debt_risk: float = 0.25  # riskier clients have more of their active credits outstanding
    bb_dpd_risk: float = 1.1  # past delinquency episodes seen in bureau_balance ("1".."5")
    bb_dpd_noise: float = 0.6
    bb_dpd_continue: float = 0.12  # chance a DPD episode goes on to the next bucket (minor episodes)
    bb_severe_share: float = 0.03  # episodes that run on at "5" until closure
    bb_all_x_share: float = 0.4  # credits whose monthly status is unknown ("X") until closure
    bb_x_sporadic: float = 0.1  # per-month chance of "X" on the other credits

    # ---- previous applications ---------------------------------------------------------------------------
    refused_risk: float = 1.25
    refused_noise: float = 0.5
    # relative refusal propensity by product, rescaled so that the total matches the spec's Refused share
    refused_type_ratio: tuple[tuple[str, float], ...] = (
        ("Cash loans", 1.2),
        ("Consumer loans", 0.6),
        ("Revolving loans", 1.5),
    )
    # (Approved, Canceled, Unused offer) shares among the non-refused, by product
    status_split: tuple[tuple[str, tuple[float, float, float]], ...] = (
        ("Cash loans", (0.55, 0.45, 0.0)),
        ("Consumer loans", (0.95, 0.015, 0.035)),
        ("Revolving loans", (0.74, 0.26, 0.0)),
        ("XNA", (0.0, 1.0, 0.0)),
    )
    approved_age_shift: float = 0.3  # approved applications are older (z-shift of DAYS_DECISION)
    approved_term_shift: float = 0.35  # approved applications have shorter terms (z-shift of CNT_PAYMENT)
    term_amount_corr: float = 0.8  # copula correlation of CNT_PAYMENT with the amounts
    revolving_age_shift: float = 0.05  # approved cards older still (long card histories)
    amount_income_corr: float = 0.4  # copula correlation of the applicant's income with credit amounts
    consumer_amount_shift: float = 0.4  # POS (consumer) loans smaller, cash loans larger (z-shift)
    canceled_zero_amount: float = 0.3  # canceled applications recorded with AMT_APPLICATION = AMT_CREDIT = 0
    first_client_new: float = 0.8  # an applicant's earliest application is NAME_CLIENT_TYPE "New"
    early_repay_prob: float = 0.15  # 12-month loans repaid early (longer ones more often: 1-(1-p)^(n/12))
    loan_default_rate: float = 0.004  # approved instalment loans that stop being paid (POS DPD spell)
    loan_default_risk: float = 1.2
    card_first_due_sentinel: float = 0.45  # approved cards without a first due date (365243)
    card_closed_prob: float = 0.08  # cards closed before the application (Completed months until -1)

    # ---- installments / POS ------------------------------------------------------------------------------
    inst_late_rate: float = 0.075  # share of due instalments paid late (top-up rows add to the late rows)
    inst_late_risk: float = 1.1
    inst_late_noise: float = 0.7
    inst_late_days_mean: float = 9.0
    inst_early_days_mean: float = 9.0
    inst_short_rate: float = 0.06  # share of instalments paid short (before top-up rows)
    inst_short_risk: float = 1.0
    inst_short_noise: float = 0.7
    inst_topup_prob: float = 0.5  # a short payment followed by a second row paying the remainder
    pos_dpd_show_prob: float = 0.25  # a late instalment shows as SK_DPD > 0 in that POS month

    # ---- credit cards ------------------------------------------------------------------------------------
    card_use_rate: float = 0.45  # share of card months with a balance
    card_use_risk: float = 0.9
    card_util_base: float = 0.6  # logit of the balance / limit ratio in a used month at risk 0
    card_util_risk: float = 0.8
    card_noise: float = 0.5
    card_draw_prob: float = 0.35  # drawings in a used month
    card_extra_payment: float = 0.5  # a paid card month shows as two installments_payments rows
    card_dpd_rate: float = 0.1  # cards with a DPD spell
    card_dpd_severe: float = 0.35  # spells that run on until the application (written-off cards)
    card_dpd_risk: float = 1.1


# ---------------------------------------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------------------------------------
def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and position within parent for ``counts[i]`` child rows of each parent ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    parent = np.repeat(np.arange(counts.size, dtype=np.int32), counts)
    starts = (np.cumsum(counts) - counts).astype(np.int64)
    pos = (np.arange(total, dtype=np.int64) - np.repeat(starts, counts)).astype(np.int32)
    return parent, pos


def _intercept(
    x: np.ndarray, target: float, weights: np.ndarray | None = None, max_n: int = 100_000
) -> float:
    """Intercept ``a`` with weighted mean of ``expit(a + x)`` equal to ``target`` (bisection, deterministic)."""
    x = np.asarray(x, dtype=float)
    target = float(np.clip(target, 1e-6, 1 - 1e-6))
    if x.size == 0:
        return float(np.log(target / (1 - target)))
    step = max(1, x.size // max_n)
    xs = x[::step]
    ws = None if weights is None else np.asarray(weights, dtype=float)[::step]
    if ws is not None and ws.sum() <= 0:
        return float(np.log(target / (1 - target)))
    lo, hi = -30.0, 30.0
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        m = expit(mid + xs).mean() if ws is None else np.average(expit(mid + xs), weights=ws)
        if m < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _month(days: np.ndarray) -> np.ndarray:
    """Month index of a (negative) day offset: -1 for days -30..-1, 0 for day 0."""
    return np.floor(np.asarray(days, dtype=float) / DAYS_PER_MONTH).astype(np.int32)


def _normal_score(x: np.ndarray) -> np.ndarray:
    """Standard-normal scores of the ranks of ``x`` (ties broken by position, deterministic)."""
    n = len(x)
    if n == 0:
        return np.zeros(0)
    order = np.argsort(np.nan_to_num(np.asarray(x, dtype=float), nan=-np.inf), kind="stable")
    ranks = np.empty(n, dtype=float)
    ranks[order] = np.arange(n)
    return ndtri((ranks + 0.5) / n)


def _mix(z: np.ndarray, rng: np.random.Generator, rho: float) -> np.ndarray:
    """A standard-normal score with correlation ``rho`` to ``z``."""
    return rho * z + np.sqrt(max(1.0 - rho * rho, 0.0)) * rng.standard_normal(len(z))


def _levels_from_u(
    col: ColumnSpec, u: np.ndarray, only: list[str] | None = None, exclude: list[str] | None = None
) -> np.ndarray:
    """Map uniforms to the column's levels restricted to ``only`` / without ``exclude`` (shares renormalised)."""
    table = col.levels if col.is_categorical else col.value_freq
    assert table is not None, col.name
    keys = [k for k in table if (only is None or k in only) and (exclude is None or k not in exclude)]
    if not keys:
        raise ValueError(f"{col.name}: no level left")
    p = np.array([table[k] for k in keys], dtype=float)
    cum = np.cumsum(p) / p.sum()
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(keys) - 1)
    labels = np.array(keys, dtype=object) if col.is_categorical else np.array([float(k) for k in keys])
    return labels[idx]


def _counts(
    rng: np.random.Generator,
    n: int,
    share_any: float,
    mean_any: float,
    max_rows: int,
    dispersion: float,
    mult: np.ndarray,
) -> np.ndarray:
    """Rows per parent: 0 with prob 1-share_any, else 1 + negative binomial (mean mean_any-1) clipped."""
    mu = np.maximum((mean_any - 1.0) * mult, 1e-9)
    extra = rng.negative_binomial(dispersion, dispersion / (dispersion + mu))
    has = rng.random(n) < share_any
    return np.where(has, 1 + np.minimum(extra, max_rows - 1), 0).astype(np.int64)


def _ids_within(rng: np.random.Generator, parent: np.ndarray, base: int, span: float) -> np.ndarray:
    """Unique ids ``base + k`` in shuffled order, sorted within each (contiguous, sorted) parent group."""
    m = parent.size
    raw = rng.permutation(max(int(np.ceil(m * span)), m))[:m].astype(np.int64)
    order = np.lexsort((raw, parent))
    return base + raw[order]


def _mean(x: np.ndarray) -> float:
    """Mean that is 0 for an empty array."""
    return float(np.mean(x)) if np.size(x) else 0.0


def _const(n: int, value: object) -> np.ndarray:
    """Object array of ``n`` references to one value (np.full would copy the string n times)."""
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def _per_level(values: np.ndarray, fn: Callable[[str], object], default: object) -> np.ndarray:
    """``fn`` applied once per distinct level of an object array (``default`` for None)."""
    codes, uniques = pd.factorize(values)
    table = np.array([fn(str(u)) for u in uniques] + [default], dtype=object)
    return table[codes]


def _round2(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float), 2)


def _as_int(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.round(x), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------------
# applicant context
# ---------------------------------------------------------------------------------------------------------
@dataclass
class _Applicants:
    n: int
    curr: np.ndarray  # SK_ID_CURR int64
    risk: np.ndarray
    z_inc: np.ndarray
    z_age: np.ndarray
    hist_scale: np.ndarray  # <= 1: shrinks day offsets of young applicants (no credit before 18)
    income: np.ndarray


def _applicants(apps: pd.DataFrame, risk: np.ndarray) -> _Applicants:
    n = len(apps)
    risk = np.asarray(risk, dtype=float).reshape(-1)
    if risk.size != n:
        raise ValueError(f"risk has {risk.size} values for {n} applicants")
    age = -apps["DAYS_BIRTH"].to_numpy(dtype=float)
    sd = age.std() if n > 1 else 0.0
    z_age = (age - age.mean()) / sd if sd > 0 else np.zeros(n)
    hist_scale = np.clip((age - ADULT_DAYS) / MAX_HISTORY_DAYS, 0.02, 1.0)
    income = apps["AMT_INCOME_TOTAL"].to_numpy(dtype=float)
    return _Applicants(
        n=n,
        curr=apps["SK_ID_CURR"].to_numpy(dtype=np.int64),
        risk=risk,
        z_inc=_normal_score(income),
        z_age=z_age,
        hist_scale=hist_scale,
        income=income,
    )


def _age_mult(a: _Applicants, effect: float) -> np.ndarray:
    return np.exp(effect * a.z_age - 0.5 * effect * effect)


# ---------------------------------------------------------------------------------------------------------
# bureau + bureau_balance
# ---------------------------------------------------------------------------------------------------------
def _bureau(
    a: _Applicants, spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    tab = spec["bureau"]
    vol = spec.volumes["mean_child_rows_per_parent"]["bureau_per_applicant"]
    max_rows = int(spec.volumes["max_child_rows_per_parent_full"]["bureau rows per SK_ID_CURR"])
    cnt = _counts(
        rng,
        a.n,
        vol["share_applicants_with_any"],
        vol["mean_over_applicants_with_any"],
        max_rows,
        p.count_dispersion,
        _age_mult(a, p.count_age_effect),
    )
    par, _ = _expand(cnt)
    m = par.size
    ids = _ids_within(rng, par, 5_000_000, p.bureau_id_span)
    r = a.risk[par]

    # dates: DAYS_CREDIT -> DAYS_CREDIT_ENDDATE -> CREDIT_ACTIVE
    z_days = rng.standard_normal(m)
    dc = np.round(tab["DAYS_CREDIT"].ppf(ndtr(z_days)) * a.hist_scale[par])
    dc = np.clip(dc, -MAX_HISTORY_DAYS, 0)
    z_end = _mix(z_days, rng, p.bureau_end_corr)
    end = tab["DAYS_CREDIT_ENDDATE"].sample(z_end, rng).astype(float)
    bad = end < dc
    end[bad] = dc[bad] + rng.integers(0, 366, int(bad.sum()))
    status = tab["CREDIT_ACTIVE"].sample(
        _mix(z_end, rng, p.bureau_active_corr), rng, order=["Closed", "Sold", "Bad debt", "Active"]
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
    active_share = max(_mean(active), 1e-9)
    a_over = _intercept(x_over[active], min(p.bureau_overdue_rate / active_share, 0.9))
    overdue = active & (rng.random(m) < expit(a_over + x_over))
    od_days = np.exp(
        np.log(p.bureau_overdue_days_median) + p.bureau_overdue_days_sigma * rng.standard_normal(m)
    )
    od_days = np.clip(np.ceil(od_days), 1, np.maximum(-dc, 1))
    day_overdue = np.where(overdue, od_days, 0).astype(np.int64)

    # amounts
    z_sum = _mix(a.z_inc[par], rng, p.amount_income_corr)
    amt_sum = _round2(tab["AMT_CREDIT_SUM"].sample(z_sum, rng))
    ctype = tab["CREDIT_TYPE"].sample(rng.standard_normal(m), rng)
    card = ctype == "Credit card"
    with np.errstate(divide="ignore", invalid="ignore"):
        elapsed = np.where((end > 0) & (end > dc), -dc / (end - dc), rng.random(m))
    remaining = np.clip(1 - 0.6 * elapsed + 0.15 * rng.standard_normal(m), 0.1, 1.0)
    remaining = np.where(card, rng.beta(2.0, 1.5, m), remaining) ** np.exp(-p.bureau_debt_risk * r)
    debt = np.where(active, amt_sum * remaining, 0.0)
    debt = np.where(active & (rng.random(m) < 0.07) & ~overdue, 0.0, debt)
    debt = np.where(~active & ~closed, amt_sum * rng.random(m), debt)
    debt = _round2(np.where(rng.random(m) < tab["AMT_CREDIT_SUM_DEBT"].missing_rate, np.nan, debt))
    limit = np.where(card & active & (rng.random(m) < 0.3), np.maximum(amt_sum - np.nan_to_num(debt), 0), 0.0)
    limit = _round2(np.where(rng.random(m) < tab["AMT_CREDIT_SUM_LIMIT"].missing_rate, np.nan, limit))
    months_od = np.minimum(np.ceil(day_overdue / 30.0), 6)
    sum_over = np.where(
        overdue & (rng.random(m) < 0.85), amt_sum * 0.002 * rng.uniform(0.3, 1.5, m) * months_od, 0.0
    )
    sum_over = _round2(np.minimum(sum_over, np.maximum(amt_sum, 0)))

    # past delinquency episodes (visible in bureau_balance and AMT_CREDIT_MAX_OVERDUE)
    months_start = _month(dc)
    length = -months_start + 1  # months from the credit's start to 0
    close_m = np.where(closed, _month(np.nan_to_num(fact)), 1).astype(np.int32)
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
    a_ep = _intercept(x_ep[hist], needed / max(wts.sum(), 1.0), weights=wts) if wts.sum() > 0 else -30.0
    episode = (rng.random(m) < expit(a_ep + x_ep)) & ~overdue
    # the current overdue spell ends at month 0 with the bucket of CREDIT_DAY_OVERDUE
    ep_start = np.where(overdue, 1 - np.ceil(day_overdue / 30.0), ep_start).astype(np.int32)
    ep_len = np.where(overdue, 999, np.where(episode, ep_len, 0)).astype(np.int32)

    max_over_col = tab["AMT_CREDIT_MAX_OVERDUE"]
    had_dpd = overdue | (episode & (rng.random(m) < 0.6)) | (rng.random(m) < 0.02)
    max_over = np.where(had_dpd, max_over_col.ppf(rng.uniform(0.8, 1.0, m)), 0.0)
    max_over = np.maximum(max_over, sum_over)
    max_over = _round2(np.where(rng.random(m) < max_over_col.missing_rate, np.nan, max_over))

    data = {
        "SK_ID_CURR": a.curr[par],
        "SK_ID_BUREAU": ids,
        "CREDIT_ACTIVE": status,
        "CREDIT_CURRENCY": tab["CREDIT_CURRENCY"].sample(rng.standard_normal(m), rng),
        "DAYS_CREDIT": _as_int(dc),
        "CREDIT_DAY_OVERDUE": day_overdue,
        "DAYS_CREDIT_ENDDATE": end,
        "DAYS_ENDDATE_FACT": fact,
        "AMT_CREDIT_MAX_OVERDUE": max_over,
        "CNT_CREDIT_PROLONG": _as_int(tab["CNT_CREDIT_PROLONG"].sample(rng.standard_normal(m), rng)),
        "AMT_CREDIT_SUM": amt_sum,
        "AMT_CREDIT_SUM_DEBT": debt,
        "AMT_CREDIT_SUM_LIMIT": limit,
        "AMT_CREDIT_SUM_OVERDUE": sum_over,
        "CREDIT_TYPE": ctype,
        "DAYS_CREDIT_UPDATE": _as_int(update),
        "AMT_ANNUITY": _round2(tab["AMT_ANNUITY"].sample(_mix(z_sum, rng, 0.7), rng)),
    }
    ctx = {
        "ids": ids,
        "hist": hist,
        "months_start": months_start,
        "close_m": close_m,
        "ep_start": ep_start,
        "ep_len": ep_len,
    }
    return _frame(data, spec["bureau"]), ctx


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


def _bureau_balance(
    ctx: dict[str, np.ndarray], spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> pd.DataFrame:
    ids = ctx["ids"]
    hidx = np.flatnonzero(ctx["hist"])
    hidx = hidx[np.argsort(ids[hidx], kind="stable")]  # bureau_balance sorted by SK_ID_BUREAU
    ms = ctx["months_start"][hidx]
    length = (-ms + 1).astype(np.int64)
    par, pos = _expand(length)
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
    return _frame(data, spec["bureau_balance"])


# ---------------------------------------------------------------------------------------------------------
# previous_application
# ---------------------------------------------------------------------------------------------------------
_STATUS = np.array(["Approved", "Canceled", "Refused", "Unused offer"], dtype=object)
_APPROVED, _CANCELED, _REFUSED, _UNUSED = 0, 1, 2, 3
_YIELD_MONTHLY_RATE = {"XNA": 0.025, "low_action": 0.01, "low_normal": 0.02, "middle": 0.03, "high": 0.045}


def _previous(
    a: _Applicants, spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    tab = spec["previous_application"]
    vol = spec.volumes["mean_child_rows_per_parent"]["previous_per_applicant"]
    max_rows = int(spec.volumes["max_child_rows_per_parent_full"]["previous_application rows per SK_ID_CURR"])
    cnt = _counts(
        rng,
        a.n,
        vol["share_applicants_with_any"],
        vol["mean_over_applicants_with_any"],
        max_rows,
        p.count_dispersion,
        _age_mult(a, p.count_age_effect),
    )
    par, _ = _expand(cnt)
    m = par.size
    ids = _ids_within(rng, par, 1_000_000, p.prev_id_span)
    r = a.risk[par]

    ctype = tab["NAME_CONTRACT_TYPE"].sample(rng.standard_normal(m), rng)
    cash, consumer, revolving = ctype == "Cash loans", ctype == "Consumer loans", ctype == "Revolving loans"
    xna_type = ~(cash | consumer | revolving)

    # status: refusals driven by risk, the rest split by product
    status_levels = tab["NAME_CONTRACT_STATUS"].levels or {}
    refused_total = float(status_levels.get("Refused", 0.17))
    ratio = dict(p.refused_type_ratio)
    type_share = {k: _mean(ctype == k) for k in ratio}
    norm = sum(type_share[k] * ratio[k] for k in ratio) or 1.0
    x_ref = p.refused_risk * r + p.refused_noise * rng.standard_normal(a.n)[par]
    prob_ref = np.zeros(m)
    for k, rel in ratio.items():
        mask = ctype == k
        if mask.any():
            a_k = _intercept(x_ref[mask], min(refused_total * rel / norm, 0.95))
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
    app_share = max(_mean(approved), 1e-9)
    shift = np.where(
        approved, -p.approved_age_shift, p.approved_age_shift * app_share / max(1 - app_share, 1e-9)
    )
    shift = shift - np.where(approved & revolving, p.revolving_age_shift, 0.0)
    z_dec = (rng.standard_normal(m) + shift) / np.sqrt(1 + _mean((shift - _mean(shift)) ** 2))
    dd = np.round(tab["DAYS_DECISION"].ppf(ndtr(z_dec)) * a.hist_scale[par])
    dd = np.clip(dd, -MAX_HISTORY_DAYS, -1)

    # amounts, one copula score for application, credit and goods price
    z_amt = _mix(a.z_inc[par], rng, p.amount_income_corr)
    z_amt = (
        z_amt + np.where(consumer, -p.consumer_amount_shift, np.where(cash, p.consumer_amount_shift, 0.0))
    ) / (np.sqrt(1 + p.consumer_amount_shift**2 * 0.9))
    lo = p.canceled_zero_amount * _mean(canceled)  # the zero amounts sit below this quantile
    amt_app = tab["AMT_APPLICATION"].ppf(lo + (1 - lo) * ndtr(z_amt))
    amt_credit = tab["AMT_CREDIT"].ppf(lo + (1 - lo) * ndtr(_mix(z_amt, rng, 0.97)))
    goods = tab["AMT_GOODS_PRICE"].ppf(0.01 + 0.99 * ndtr(_mix(z_amt, rng, 0.97)))
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
    z_cnt = (_mix(z_amt, rng, p.term_amount_corr) + t_shift) / np.sqrt(
        1 + _mean((t_shift - _mean(t_shift)) ** 2)
    )
    n_pay = _levels_from_u(cnt_col, ndtr(z_cnt), exclude=["0"])
    n_pay = np.where(revolving, 0.0, n_pay)
    n_pay = np.where(no_terms, np.nan, n_pay)

    # product detail, consistent with the product type and status
    pc_col = tab["PRODUCT_COMBINATION"]
    pc_levels = list(pc_col.levels or {})
    u = rng.random(m)
    combo = _const(m, None)
    combo[cash] = _levels_from_u(pc_col, u[cash], only=[k for k in pc_levels if k.startswith("Cash ")])
    combo[cash & canceled] = "Cash"
    combo[consumer] = _levels_from_u(pc_col, u[consumer], only=[k for k in pc_levels if k.startswith("POS")])
    combo[revolving] = _levels_from_u(pc_col, u[revolving], only=["Card Street", "Card X-Sell"])
    product_type = _per_level(
        combo,
        lambda c: "x-sell" if "X-Sell" in c else "walk-in" if c.startswith("Cash Street") else "XNA",
        "XNA",
    )
    ylabels = np.array(["XNA", "low_action", "low_normal", "middle", "high"], dtype=object)
    suffix = {": low": 2, ": middle": 3, ": high": 4}
    ycode = _per_level(combo, lambda c: next((v for k, v in suffix.items() if c.endswith(k)), 0), 0).astype(
        np.int8
    )
    pos_with = _per_level(combo, lambda c: c.startswith("POS") and "with interest" in c, False).astype(bool)
    pos_without = _per_level(combo, lambda c: c.startswith("POS") and "without interest" in c, False).astype(
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
    pay_type = _levels_from_u(pay_col, rng.random(m), exclude=["XNA"])
    pay_type[canceled | revolving | xna_type | ((status == _REFUSED) & (rng.random(m) < 0.5))] = "XNA"

    purpose_col = tab["NAME_CASH_LOAN_PURPOSE"]
    purpose = _const(m, "XAP")
    purpose[cash] = _levels_from_u(purpose_col, rng.random(int(cash.sum())), exclude=["XAP"])
    purpose[xna_type] = "XNA"
    goods_cat = _const(m, "XNA")
    goods_cat[consumer] = _levels_from_u(
        tab["NAME_GOODS_CATEGORY"], rng.random(int(consumer.sum())), exclude=["XNA"]
    )
    seller = _const(m, "XNA")
    seller[consumer] = _levels_from_u(
        tab["NAME_SELLER_INDUSTRY"], rng.random(int(consumer.sum())), exclude=["XNA"]
    )
    ch_col = tab["CHANNEL_TYPE"]
    pos_channels = ["Country-wide", "Stone", "Regional / Local", "Car dealer"]
    channel = _levels_from_u(ch_col, rng.random(m), exclude=pos_channels)
    channel[consumer] = _levels_from_u(ch_col, rng.random(int(consumer.sum())), only=pos_channels)

    # annuity: instalment formula on the credit amount; cards pay a share of the limit
    rate = np.array([_YIELD_MONTHLY_RATE[str(k)] for k in ylabels])[ycode]
    n_safe = np.where(np.nan_to_num(n_pay) > 0, np.nan_to_num(n_pay), 1.0)
    annuity = amt_credit * rate / (1 - (1 + rate) ** (-n_safe))
    annuity = np.where(revolving, card_limit * rng.uniform(0.03, 0.1, m), annuity)
    annuity = _round2(np.where(no_terms, np.nan, annuity))

    down_rate = np.where(consumer, tab["RATE_DOWN_PAYMENT"].ppf(ndtr(_mix(-z_amt, rng, 0.6))), np.nan)
    down_amt = _round2(down_rate * np.where(np.isnan(goods), amt_app, goods))

    # client type: an applicant's earliest application is usually "New"
    ct_col = tab["NAME_CLIENT_TYPE"]
    client = _levels_from_u(ct_col, rng.random(m), exclude=["New"])
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
    reject = _const(m, "XAP")
    reject[status == _REFUSED] = _levels_from_u(
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
        "AMT_APPLICATION": _round2(amt_app),
        "AMT_CREDIT": _round2(amt_credit),
        "AMT_DOWN_PAYMENT": down_amt,
        "AMT_GOODS_PRICE": _round2(goods),
        "WEEKDAY_APPR_PROCESS_START": tab["WEEKDAY_APPR_PROCESS_START"].sample(rng.standard_normal(m), rng),
        "HOUR_APPR_PROCESS_START": _as_int(
            tab["HOUR_APPR_PROCESS_START"].sample(rng.standard_normal(m), rng)
        ),
        "FLAG_LAST_APPL_PER_CONTRACT": tab["FLAG_LAST_APPL_PER_CONTRACT"].sample(rng.standard_normal(m), rng),
        "NFLAG_LAST_APPL_IN_DAY": _as_int(tab["NFLAG_LAST_APPL_IN_DAY"].sample(rng.standard_normal(m), rng)),
        "RATE_DOWN_PAYMENT": down_rate,
        "RATE_INTEREST_PRIMARY": tab["RATE_INTEREST_PRIMARY"]
        .sample(rng.standard_normal(m), rng)
        .astype(float),
        "RATE_INTEREST_PRIVILEGED": tab["RATE_INTEREST_PRIVILEGED"]
        .sample(rng.standard_normal(m), rng)
        .astype(float),
        "NAME_CASH_LOAN_PURPOSE": purpose,
        "NAME_CONTRACT_STATUS": status_lbl,
        "DAYS_DECISION": _as_int(dd),
        "NAME_PAYMENT_TYPE": pay_type,
        "CODE_REJECT_REASON": reject,
        "NAME_TYPE_SUITE": tab["NAME_TYPE_SUITE"].sample(rng.standard_normal(m), rng),
        "NAME_CLIENT_TYPE": client,
        "NAME_GOODS_CATEGORY": goods_cat,
        "NAME_PORTFOLIO": portfolio,
        "NAME_PRODUCT_TYPE": product_type,
        "CHANNEL_TYPE": channel,
        "SELLERPLACE_AREA": _as_int(tab["SELLERPLACE_AREA"].sample(rng.standard_normal(m), rng)),
        "NAME_SELLER_INDUSTRY": seller,
        "CNT_PAYMENT": n_pay,
        "NAME_YIELD_GROUP": yield_group,
        "PRODUCT_COMBINATION": combo,
        "DAYS_FIRST_DRAWING": approved_only(tl["first_drawing"]),
        "DAYS_FIRST_DUE": approved_only(tl["first_due"]),
        "DAYS_LAST_DUE_1ST_VERSION": approved_only(tl["last_due_1st"]),
        "DAYS_LAST_DUE": approved_only(tl["last_due"]),
        "DAYS_TERMINATION": approved_only(tl["termination"]),
        "NFLAG_INSURED_ON_APPROVAL": approved_only(_levels_from_u(insured_col, rng.random(m))),
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
    return _frame(data, tab), ctx


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
    a_def = _intercept(x_def[loan], p.loan_default_rate)
    default = loan & (rng.random(m) < expit(a_def + x_def)) & (f <= -1)
    k_def = np.floor(rng.random(m) * n_eff).astype(np.int64)
    n_due = np.where(f <= -1, np.floor((-1 - f) / DAYS_PER_MONTH).astype(np.int64) + 1, 0)
    k = np.where(default, np.minimum(n_due, k_def), np.minimum(n_due, n_eff))
    k = np.where(loan, k, 0)
    end_day = f + np.round(DAYS_PER_MONTH * (n_eff - 1))
    completed = loan & ~default & (end_day <= -1)
    m_start = _month(np.minimum(f, -1))
    pos_rows = np.where(completed & (m_start + k <= -1), k + 1, k)
    pos_rows = np.where(default, np.maximum(k, -m_start), pos_rows)
    pos_rows = np.where(loan & (f <= -1), pos_rows, 0)

    last_due = np.where(completed, end_day, SENTINEL)
    termination = np.where(completed, np.minimum(end_day + rng.integers(0, 61, m), -1), SENTINEL)
    first_due = np.where(f <= -1, f, SENTINEL)
    last_due_1st = last1.astype(float)

    # cards: monthly history from the decision month to -1 (or to the closing month)
    c_start = _month(dd)
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


# ---------------------------------------------------------------------------------------------------------
# credit_card_balance
# ---------------------------------------------------------------------------------------------------------
def _cards(
    a: _Applicants, ctx: dict[str, np.ndarray], spec: DatasetSpec, rng: np.random.Generator, p: ChildrenParams
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    tab = spec["credit_card_balance"]
    cidx = np.flatnonzero(ctx["card"] & (ctx["c_rows"] > 0))
    rows = ctx["c_rows"][cidx]
    cp, pos = _expand(rows)
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
    a_use = _intercept(x_use, p.card_use_rate, weights=rows)
    used = (rng.random(t, dtype=np.float32) < expit(a_use + x_use)[cp]) & ~completed & ~signed
    util_c = expit(p.card_util_base + p.card_util_risk * r_c + p.card_noise * rng.standard_normal(a.n)[app])
    util = np.clip(util_c[cp] * (1 + 0.25 * rng.standard_normal(t)), 0.005, 1.1)
    balance = np.where(used, _round2(limit * util), 0.0)

    # DPD spells
    x_dpd = p.card_dpd_risk * r_c
    a_dpd = _intercept(x_dpd, p.card_dpd_rate)
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
    min_reg = np.where(balance > 0, _round2(np.maximum(0.06 * balance, np.minimum(balance, 450.0))), 0.0)
    paid = (used | (rng.random(t, dtype=np.float32) < 0.6)) & ~completed & (sk_dpd == 0)
    full = rng.random(t, dtype=np.float32) < 0.05
    pay = np.where(full, balance, np.minimum(min_reg * np.exp(rng.normal(0.3, 0.8, t)), balance))
    pay = np.where(used, pay, limit * rng.uniform(0.0005, 0.02, t))
    pay = _round2(np.maximum(pay, min_reg))
    pay_total = np.where(paid, _round2(pay * np.where(rng.random(t) < 0.8, 1.0, rng.random(t))), 0.0)
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
        "AMT_CREDIT_LIMIT_ACTUAL": _as_int(limit),
        "AMT_DRAWINGS_ATM_CURRENT": nan_if(miss_draw, atm),
        "AMT_DRAWINGS_CURRENT": amt_draw + other,
        "AMT_DRAWINGS_OTHER_CURRENT": nan_if(miss_draw, other),
        "AMT_DRAWINGS_POS_CURRENT": nan_if(miss_draw, posd),
        "AMT_INST_MIN_REGULARITY": nan_if(miss_reg, min_reg),
        "AMT_PAYMENT_CURRENT": np.where(paid, pay, np.nan),
        "AMT_PAYMENT_TOTAL_CURRENT": pay_total,
        "AMT_RECEIVABLE_PRINCIPAL": _round2(balance * rng.uniform(0.9, 1.0, t)),
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
        "amt": np.where(second, _round2(inst_amt * rng.uniform(0.2, 1.0, sel.size)), inst_amt),
    }
    return _frame(data, tab), inst


# ---------------------------------------------------------------------------------------------------------
# installments (behaviour) + POS_CASH_balance
# ---------------------------------------------------------------------------------------------------------
def _instalment_schedule(
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
    lp, j = _expand(k[lidx])
    at = off[lidx][lp] + j
    li = lidx[lp]
    prev[at] = li
    number[at] = j + 1
    due[at] = ctx["f"][li] + np.round(DAYS_PER_MONTH * j)
    n, n_eff = ctx["n"][li], ctx["n_eff"][li]
    last_early = ctx["early"][li] & (j == n_eff - 1)
    amt[at] = _round2(ctx["annuity"][li] * np.where(last_early, 0.9 * (n - n_eff + 1), 1.0))
    v_col = spec["installments_payments"]["NUM_INSTALMENT_VERSION"]
    v_max = _levels_from_u(v_col, rng.random(lidx.size), exclude=["0"])
    change = np.floor(rng.random(lidx.size) * k[lidx])
    version[at] = np.where(j >= change[lp], v_max[lp], 1.0)
    del lp, j, li, n, n_eff, last_early

    if card_inst["prev"].size:
        at = off[card_inst["prev"]] + card_inst["number"] - 1
        prev[at] = card_inst["prev"]
        number[at] = card_inst["number"]
        due[at] = card_inst["due"]
        amt[at] = _round2(card_inst["amt"])
        version[at] = 0.0
    return {"prev": prev, "number": number, "due": due, "amt": amt, "version": version, "off": off}


def _payments(
    a: _Applicants,
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
    a_late = _intercept(x_late, p.inst_late_rate, weights=w) if b else 0.0
    a_short = _intercept(x_short, p.inst_short_rate, weights=w) if b else 0.0
    late = rng.random(b, dtype=np.float32) < expit(a_late + x_late).astype(np.float32)[app]
    short = rng.random(b, dtype=np.float32) < expit(a_short + x_short).astype(np.float32)[app]
    late_mean = p.inst_late_days_mean * np.exp(0.3 * a.risk[app])
    delay = np.where(
        late,
        1 + np.minimum(rng.exponential(1.0, b) * late_mean, 2000).astype(np.int64),
        1 - rng.geometric(1 / p.inst_early_days_mean, b),
    )
    entry = np.minimum(sched["due"] + delay, -1.0)
    pay = np.where(short, _round2(sched["amt"] * rng.uniform(0.05, 0.95, b)), sched["amt"])
    entry2 = entry + rng.geometric(1 / 20.0, b)
    topup = short & (rng.random(b, dtype=np.float32) < p.inst_topup_prob) & (entry2 <= -1)
    return {"delay": delay, "entry": entry, "pay": pay, "entry2": entry2, "topup": topup}


def _pos_cash(
    a: _Applicants,
    ctx: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    beh: dict[str, np.ndarray],
    spec: DatasetSpec,
    rng: np.random.Generator,
    p: ChildrenParams,
) -> pd.DataFrame:
    tab = spec["POS_CASH_balance"]
    lidx = np.flatnonzero(ctx["pos_rows"] > 0)
    rows = ctx["pos_rows"][lidx]
    lp, j = _expand(rows)
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

    status = _const(t, "Active")
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
    return _frame(data, tab)


def _installments(
    ctx: dict[str, np.ndarray],
    sched: dict[str, np.ndarray],
    beh: dict[str, np.ndarray],
    spec: DatasetSpec,
    rng: np.random.Generator,
) -> pd.DataFrame:
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
    pay = np.where(is_top, _round2(amt - pay), pay)
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
    return _frame(data, tab)


# ---------------------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------------------
def _frame(data: dict[str, np.ndarray], tab: TableSpec) -> pd.DataFrame:
    """A frame with exactly the spec's columns, in file order, with the dtypes pandas reads from the CSV."""
    cols = {}
    for c in tab.columns:
        x = data[c.name]
        dt = c.pandas_dtype
        if dt == "int64":
            if x.dtype.kind == "f" and np.isnan(x).any():
                raise ValueError(f"{tab.name}.{c.name}: NaN in an integer column")
            x = x.astype(np.int64, copy=False)
        elif dt == "float64":
            x = x.astype(np.float64, copy=False)
        else:
            x = x.astype(object, copy=False)
        cols[c.name] = x
    return pd.DataFrame(cols, copy=False)


def generate_children(
    apps: pd.DataFrame,
    risk: np.ndarray,
    spec: DatasetSpec,
    rng: np.random.Generator,
    progress: Callable[[str], None] | None = None,
    params: ChildrenParams = ChildrenParams(),  # noqa: B008 - frozen, immutable default
) -> dict[str, pd.DataFrame]:
    """The six side tables for the applicants in `apps` (train+test together).

    ``apps`` needs SK_ID_CURR (sorted), AMT_INCOME_TOTAL and DAYS_BIRTH; ``risk`` is a standard-normal latent
    credit risk aligned with it (higher = riskier). Only ``rng`` is drawn from, so a seed fixes the tables.
    """

    def done(name: str) -> None:
        if progress is not None:
            progress(name)

    a = _applicants(apps, risk)
    out: dict[str, pd.DataFrame] = {}
    out["bureau"], b_ctx = _bureau(a, spec, rng, params)
    done("bureau")
    out["bureau_balance"] = _bureau_balance(b_ctx, spec, rng, params)
    del b_ctx
    done("bureau_balance")
    out["previous_application"], ctx = _previous(a, spec, rng, params)
    done("previous_application")
    out["credit_card_balance"], card_inst = _cards(a, ctx, spec, rng, params)
    done("credit_card_balance")
    sched = _instalment_schedule(ctx, card_inst, spec, rng)
    del card_inst
    beh = _payments(a, ctx, sched, rng, params)
    out["POS_CASH_balance"] = _pos_cash(a, ctx, sched, beh, spec, rng, params)
    done("POS_CASH_balance")
    out["installments_payments"] = _installments(ctx, sched, beh, spec, rng)
    done("installments_payments")
    return {t: out[t] for t in TABLES}


def side_signals(
    tables: dict[str, pd.DataFrame], ids: np.ndarray, income: pd.Series | None = None
) -> pd.DataFrame:
    """Applicant-level behaviour observed in the side tables, one row per id (index SK_ID_CURR, order of ids).

    ``income`` (AMT_INCOME_TOTAL indexed by SK_ID_CURR) is needed for ``bureau_active_debt_to_income``;
    without it that column is NaN.
    """
    ids = np.asarray(ids, dtype=np.int64)
    n = ids.size
    index = pd.Index(ids, name="SK_ID_CURR")

    def locate(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        loc = index.get_indexer(df["SK_ID_CURR"].to_numpy())
        return loc, loc >= 0

    def share(df: pd.DataFrame, flag: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        loc, ok = locate(df)
        if rows is not None:
            ok &= rows
        den = np.bincount(loc[ok], minlength=n)[:n]
        num = np.bincount(loc[ok], weights=flag[ok].astype(float), minlength=n)[:n]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.maximum(den, 1), np.nan)

    inst = tables["installments_payments"]
    late = (inst["DAYS_ENTRY_PAYMENT"] > inst["DAYS_INSTALMENT"]).to_numpy()
    short = (inst["AMT_PAYMENT"] < inst["AMT_INSTALMENT"] - 1).to_numpy()
    bur = tables["bureau"]
    loc, ok = locate(bur)
    act = ok & (bur["CREDIT_ACTIVE"] == "Active").to_numpy()
    overdue_active = np.bincount(loc[act & (bur["CREDIT_DAY_OVERDUE"] > 0).to_numpy()], minlength=n)[:n]
    debt = np.bincount(loc[act], weights=bur["AMT_CREDIT_SUM_DEBT"].fillna(0).to_numpy()[act], minlength=n)[
        :n
    ]
    has_bureau = np.bincount(loc[ok], minlength=n)[:n] > 0
    if income is not None:
        inc = income.reindex(ids).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            dti = np.where(has_bureau, debt / inc, np.nan)
    else:
        dti = np.full(n, np.nan)
    prev = tables["previous_application"]
    pos = tables["POS_CASH_balance"]
    cc = tables["credit_card_balance"]
    lim = cc["AMT_CREDIT_LIMIT_ACTUAL"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = cc["AMT_BALANCE"].to_numpy(dtype=float) / lim
    return pd.DataFrame(
        {
            "inst_late_share": share(inst, late),
            "inst_short_share": share(inst, short),
            "bureau_overdue_active": overdue_active.astype(np.int64),
            "bureau_active_debt_to_income": dti,
            "prev_refused_share": share(prev, (prev["NAME_CONTRACT_STATUS"] == "Refused").to_numpy()),
            "pos_dpd_share": share(pos, (pos["SK_DPD"] > 0).to_numpy()),
            "cc_utilisation": share(cc, np.nan_to_num(ratio), rows=lim > 0),
        },
        index=index,
    )
