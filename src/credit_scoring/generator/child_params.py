"""Shape parameters and planted-signal effect sizes of the six generated side tables."""

from __future__ import annotations

from dataclasses import dataclass


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
