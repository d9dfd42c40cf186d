"""The six Home Credit side tables (bureau, bureau_balance, previous_application, POS_CASH_balance,
credit_card_balance, installments_payments) for a frame of applicants.

Everything is vectorised: variable-length histories are built with ``np.repeat``/``cumsum`` expansions, never
with Python loops over applicants or credits. Column marginals come from the packaged spec (Gaussian copula
through :meth:`ColumnSpec.sample` / :meth:`ColumnSpec.ppf`); the structural columns (dates, statuses, schedules)
are derived so that the tables are mutually consistent, and the applicant's latent ``risk`` drives the
behavioural ones (late/short instalments, overdue bureau credits, refusals, POS DPD, card utilisation).

Volumes (share of applicants with any rows, mean rows among them, maxima) are taken from ``spec.volumes``; the
constants that shape the distributions and the effect sizes live in :class:`ChildrenParams`.

One module per table family: :mod:`~credit_scoring.generator.bureau` (bureau, bureau_balance),
:mod:`~credit_scoring.generator.previous` (previous_application), :mod:`~credit_scoring.generator.cards`
(credit_card_balance), :mod:`~credit_scoring.generator.installments` (installments_payments,
POS_CASH_balance); what they share is in :mod:`~credit_scoring.generator.child_common`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from credit_scoring.generator.bureau import bureau, bureau_balance
from credit_scoring.generator.cards import cards
from credit_scoring.generator.child_common import applicant_context
from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.installments import installments, instalment_schedule, payments, pos_cash
from credit_scoring.generator.previous import previous
from credit_scoring.generator.spec import DatasetSpec

TABLES = (
    "bureau",
    "bureau_balance",
    "previous_application",
    "POS_CASH_balance",
    "credit_card_balance",
    "installments_payments",
)

__all__ = ["TABLES", "ChildrenParams", "generate_children", "side_signals"]


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

    a = applicant_context(apps, risk)
    out: dict[str, pd.DataFrame] = {}
    out["bureau"], b_ctx = bureau(a, spec, rng, params)
    done("bureau")
    out["bureau_balance"] = bureau_balance(b_ctx, spec, rng, params)
    del b_ctx
    done("bureau_balance")
    out["previous_application"], ctx = previous(a, spec, rng, params)
    done("previous_application")
    out["credit_card_balance"], card_inst = cards(a, ctx, spec, rng, params)
    done("credit_card_balance")
    sched = instalment_schedule(ctx, card_inst, spec, rng)
    del card_inst
    beh = payments(a, ctx, sched, rng, params)
    out["POS_CASH_balance"] = pos_cash(a, ctx, sched, beh, spec, rng, params)
    done("POS_CASH_balance")
    out["installments_payments"] = installments(ctx, sched, beh, spec, rng)
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
