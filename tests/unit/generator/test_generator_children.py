"""The six generated side tables: schema, keys, internal consistency, determinism, planted signal, volumes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_scoring.generator.child_params import ChildrenParams
from credit_scoring.generator.children import TABLES, generate_children, side_signals
from credit_scoring.generator.spec import load_spec

N = 3000
SEED = 7
SENTINEL = 365243.0


def rank_corr(x, y) -> float:
    """Spearman rank correlation (pandas ranks; keeps scipy.stats out of the import time)."""
    rx, ry = pd.Series(np.asarray(x, dtype=float)).rank(), pd.Series(np.asarray(y, dtype=float)).rank()
    return float(np.corrcoef(rx, ry)[0, 1])


def make_apps(n: int = N, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    apps = pd.DataFrame(
        {
            "SK_ID_CURR": np.arange(100001, 100001 + n, dtype=np.int64),
            "AMT_INCOME_TOTAL": np.round(np.exp(rng.normal(np.log(147150), 0.5, n)), -2),
            "AMT_CREDIT": np.round(np.exp(rng.normal(np.log(513531), 0.6, n)), 1),
            "AMT_ANNUITY": np.round(np.exp(rng.normal(np.log(24903), 0.5, n)), 1),
            "DAYS_BIRTH": -rng.integers(7489, 25229, n),
            "NAME_CONTRACT_TYPE": np.where(rng.random(n) < 0.1, "Revolving loans", "Cash loans"),
        }
    )
    return apps, rng.standard_normal(n)


@pytest.fixture(scope="module")
def spec():
    return load_spec()


@pytest.fixture(scope="module")
def world(spec):
    apps, risk = make_apps()
    snapshot = apps.copy()
    tables = generate_children(apps, risk, spec, np.random.default_rng(SEED))
    pd.testing.assert_frame_equal(apps, snapshot)  # the input is not mutated
    return apps, risk, tables


@pytest.fixture(scope="module")
def signals(world):
    apps, _, tables = world
    income = apps.set_index("SK_ID_CURR")["AMT_INCOME_TOTAL"]
    return side_signals(tables, apps["SK_ID_CURR"].to_numpy(), income=income)


# ---- schema ------------------------------------------------------------------------------------------------
def test_tables_have_the_spec_columns_in_order_with_csv_dtypes(world, spec) -> None:
    _, _, tables = world
    assert list(tables) == list(TABLES)
    for name, df in tables.items():
        assert list(df.columns) == spec[name].column_names, name
        assert len(df) > 0, name
        for col in spec[name].columns:
            assert str(df[col.name].dtype) == col.pandas_dtype, (name, col.name, df[col.name].dtype)
            if col.pandas_dtype == "object":
                kinds = {type(v) for v in df[col.name].to_numpy()}
                assert kinds <= {str, type(None)}, (name, col.name, kinds)
                if col.missing_rate == 0:
                    assert df[col.name].notna().all(), (name, col.name)
    flag = tables["previous_application"]["FLAG_LAST_APPL_PER_CONTRACT"]
    assert set(flag.unique()) <= {"Y", "N"}


# ---- keys --------------------------------------------------------------------------------------------------
def test_keys_reference_their_parents(world) -> None:
    apps, _, t = world
    curr = set(apps["SK_ID_CURR"])
    assert set(t["bureau"]["SK_ID_CURR"]) <= curr
    assert set(t["previous_application"]["SK_ID_CURR"]) <= curr
    assert set(t["bureau_balance"]["SK_ID_BUREAU"]) <= set(t["bureau"]["SK_ID_BUREAU"])
    prev_curr = t["previous_application"].set_index("SK_ID_PREV")["SK_ID_CURR"]
    for name in ("POS_CASH_balance", "installments_payments", "credit_card_balance"):
        df = t[name]
        owner = prev_curr.reindex(df["SK_ID_PREV"].to_numpy()).to_numpy()
        assert not np.isnan(owner.astype(float)).any(), name
        np.testing.assert_array_equal(owner, df["SK_ID_CURR"].to_numpy(), err_msg=name)


def test_ids_are_unique_and_in_home_credit_ranges(world) -> None:
    _, _, t = world
    bureau_ids, prev_ids = t["bureau"]["SK_ID_BUREAU"], t["previous_application"]["SK_ID_PREV"]
    assert bureau_ids.is_unique and prev_ids.is_unique
    assert bureau_ids.min() >= 5_000_000 and prev_ids.min() >= 1_000_000
    assert prev_ids.max() < 1_000_000 + 1.2 * len(prev_ids)
    # shuffled, not a running number in row order
    assert not bureau_ids.is_monotonic_increasing and not prev_ids.is_monotonic_increasing


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        ("bureau", ["SK_ID_CURR", "SK_ID_BUREAU"]),
        ("bureau_balance", ["SK_ID_BUREAU", "MONTHS_BALANCE"]),
        ("previous_application", ["SK_ID_CURR", "SK_ID_PREV"]),
        ("POS_CASH_balance", ["SK_ID_CURR", "SK_ID_PREV", "MONTHS_BALANCE"]),
        ("credit_card_balance", ["SK_ID_CURR", "SK_ID_PREV", "MONTHS_BALANCE"]),
        ("installments_payments", ["SK_ID_CURR", "SK_ID_PREV", "NUM_INSTALMENT_NUMBER"]),
    ],
)
def test_tables_are_sorted_by_parent_key(world, table, keys) -> None:
    df = world[2][table][keys]
    order = np.lexsort([df[k].to_numpy() for k in reversed(keys)])
    np.testing.assert_array_equal(order, np.arange(len(df)))
    if table in ("bureau_balance", "POS_CASH_balance", "credit_card_balance"):
        assert not df.duplicated().any()  # one row per month


# ---- consistency -------------------------------------------------------------------------------------------
def test_bureau_rows_are_consistent(world) -> None:
    b = world[2]["bureau"]
    closed, active = b["CREDIT_ACTIVE"] == "Closed", b["CREDIT_ACTIVE"] == "Active"
    fact = b["DAYS_ENDDATE_FACT"]
    assert (closed == fact.notna()).all()
    assert (fact[closed] <= 0).all() and (fact[closed] >= b["DAYS_CREDIT"][closed]).all()
    assert (b.loc[b["CREDIT_DAY_OVERDUE"] > 0, "CREDIT_ACTIVE"] == "Active").all()
    assert (b.loc[b["AMT_CREDIT_SUM_OVERDUE"] > 0, "CREDIT_DAY_OVERDUE"] > 0).all()
    assert (b["DAYS_CREDIT_UPDATE"] >= b["DAYS_CREDIT"]).all()
    for col in ("DAYS_CREDIT", "DAYS_ENDDATE_FACT", "DAYS_CREDIT_UPDATE"):
        assert (b[col].dropna() <= 0).all(), col
    assert (b["DAYS_CREDIT"] >= -2922).all()
    assert (b["DAYS_CREDIT_ENDDATE"] > 0).mean() > 0.2  # future end dates exist
    debt = b.loc[active, "AMT_CREDIT_SUM_DEBT"].dropna()
    assert (debt > 0).mean() > 0.85
    assert (b.loc[closed, "AMT_CREDIT_SUM_DEBT"].dropna() == 0).all()
    assert 0.004 < (b["CREDIT_DAY_OVERDUE"] > 0).mean() < 0.03


def test_bureau_balance_histories_follow_the_credit(world) -> None:
    b, bb = world[2]["bureau"], world[2]["bureau_balance"]
    g = bb.groupby("SK_ID_BUREAU")["MONTHS_BALANCE"]
    assert (g.max() == 0).all() and (bb["MONTHS_BALANCE"] >= -96).all()
    assert (g.size() == g.max() - g.min() + 1).all()  # contiguous months
    assert g.size().max() <= 97
    by_id = b.set_index("SK_ID_BUREAU")
    start = np.floor(by_id.loc[g.min().index, "DAYS_CREDIT"].to_numpy() / 30.4375)
    np.testing.assert_array_equal(g.min().to_numpy(), start)  # history starts in the credit's first month
    info = by_id.loc[bb["SK_ID_BUREAU"]]
    close_m = np.floor(info["DAYS_ENDDATE_FACT"].to_numpy() / 30.4375)
    after_close = (info["CREDIT_ACTIVE"].to_numpy() == "Closed") & (bb["MONTHS_BALANCE"].to_numpy() > close_m)
    is_c = bb["STATUS"].to_numpy() == "C"
    np.testing.assert_array_equal(is_c, after_close)
    # DPD buckets climb one month at a time: a "k" (k >= 2) follows a "k-1" (or a "5" follows a "5")
    st = bb["STATUS"].to_numpy()
    same = bb["SK_ID_BUREAU"].to_numpy()[1:] == bb["SK_ID_BUREAU"].to_numpy()[:-1]
    cur, prev = st[1:][same], st[:-1][same]
    for k in "2345":
        ok = (prev[cur == k] == str(int(k) - 1)) | ((k == "5") & (prev[cur == k] == "5"))
        assert ok.all(), k
    shares = bb["STATUS"].value_counts(normalize=True)
    assert 0.3 < shares["C"] < 0.7 and 0.1 < shares["X"] < 0.35 and 0.15 < shares["0"] < 0.45
    assert 0.005 < shares.reindex(list("12345")).fillna(0).sum() < 0.03


def test_previous_applications_are_consistent(world) -> None:
    pa = world[2]["previous_application"]
    status = pa["NAME_CONTRACT_STATUS"]
    assert set(status.unique()) <= {"Approved", "Refused", "Canceled", "Unused offer"}
    reject = pa["CODE_REJECT_REASON"]
    assert (reject[status.isin(["Approved", "Canceled"])] == "XAP").all()
    assert (reject[status == "Refused"] != "XAP").all()
    approved = status == "Approved"
    dates = [
        "DAYS_FIRST_DRAWING",
        "DAYS_FIRST_DUE",
        "DAYS_LAST_DUE_1ST_VERSION",
        "DAYS_LAST_DUE",
        "DAYS_TERMINATION",
        "NFLAG_INSURED_ON_APPROVAL",
    ]
    for col in dates:
        assert (pa[col].notna() == approved).all(), col
    a = pa[approved]
    assert (a["DAYS_FIRST_DRAWING"] == SENTINEL).mean() > 0.8
    for col in ("DAYS_LAST_DUE", "DAYS_TERMINATION"):
        assert 0.03 < (a[col] == SENTINEL).mean() < 0.4, col
        real = a.loc[a[col] != SENTINEL, col]
        assert (real <= 0).all(), col
    done = a[(a["DAYS_LAST_DUE"] != SENTINEL)]
    assert (done["DAYS_TERMINATION"] >= done["DAYS_LAST_DUE"]).all()
    due = a[a["DAYS_FIRST_DUE"] != SENTINEL]
    assert (due["DAYS_FIRST_DUE"] >= due["DAYS_DECISION"]).all()
    assert (pa["DAYS_DECISION"] < 0).all()
    assert 0.12 < (status == "Refused").mean() < 0.23
    rho = rank_corr(pa["AMT_APPLICATION"], pa["AMT_CREDIT"])
    assert rho > 0.8
    goods = pa[["AMT_CREDIT", "AMT_GOODS_PRICE"]].dropna()
    assert rank_corr(goods["AMT_CREDIT"], goods["AMT_GOODS_PRICE"]) > 0.8
    assert (pa.loc[pa["NAME_CONTRACT_TYPE"] == "Consumer loans", "NAME_CASH_LOAN_PURPOSE"] == "XAP").all()


def test_child_histories_belong_to_the_right_applications(world) -> None:
    t = world[2]
    pa = t["previous_application"].set_index("SK_ID_PREV")
    cc_prev = pa.loc[t["credit_card_balance"]["SK_ID_PREV"].unique()]
    assert (cc_prev["NAME_CONTRACT_TYPE"] == "Revolving loans").all()
    assert (cc_prev["NAME_CONTRACT_STATUS"] == "Approved").all()
    pos_prev = pa.loc[t["POS_CASH_balance"]["SK_ID_PREV"].unique()]
    assert pos_prev["NAME_CONTRACT_TYPE"].isin(["Cash loans", "Consumer loans"]).all()
    assert (pos_prev["NAME_CONTRACT_STATUS"] == "Approved").all()
    inst_prev = pa.loc[t["installments_payments"]["SK_ID_PREV"].unique()]
    assert (inst_prev["NAME_CONTRACT_STATUS"] == "Approved").all()
    # almost every approved revolving application has a card history
    rev = pa[(pa["NAME_CONTRACT_TYPE"] == "Revolving loans") & (pa["NAME_CONTRACT_STATUS"] == "Approved")]
    assert rev.index.isin(cc_prev.index).mean() > 0.9


def test_pos_cash_counts_down_to_completion(world) -> None:
    pos = world[2]["POS_CASH_balance"]
    assert (pos["MONTHS_BALANCE"] <= -1).all() and (pos["MONTHS_BALANCE"] >= -96).all()
    g = pos.groupby("SK_ID_PREV")["MONTHS_BALANCE"]
    assert (g.size() == g.max() - g.min() + 1).all()
    fut = pos["CNT_INSTALMENT_FUTURE"].to_numpy()
    same = pos["SK_ID_PREV"].to_numpy()[1:] == pos["SK_ID_PREV"].to_numpy()[:-1]
    both = same & ~np.isnan(fut[1:]) & ~np.isnan(fut[:-1])
    assert (fut[1:][both] <= fut[:-1][both]).all()
    completed = pos["NAME_CONTRACT_STATUS"] == "Completed"
    assert completed.any()
    assert (pos.loc[completed, "CNT_INSTALMENT_FUTURE"].dropna() == 0).all()
    assert (pos["CNT_INSTALMENT_FUTURE"] <= pos["CNT_INSTALMENT"]).all() or pos["CNT_INSTALMENT"].isna().any()
    assert 0.005 < (pos["SK_DPD"] > 0).mean() < 0.08


def test_installments_follow_a_monthly_schedule(world) -> None:
    ins = world[2]["installments_payments"]
    loans = ins[ins["NUM_INSTALMENT_VERSION"] >= 1]
    first = loans.drop_duplicates(["SK_ID_PREV", "NUM_INSTALMENT_NUMBER"])
    g = first.groupby("SK_ID_PREV")["NUM_INSTALMENT_NUMBER"]
    assert (g.min() == 1).all() and (g.max() == g.size()).all()  # numbers 1..k
    gap = first.groupby("SK_ID_PREV")["DAYS_INSTALMENT"].diff().dropna()
    assert gap.between(29, 32).all()
    assert (ins["NUM_INSTALMENT_VERSION"] == 0).mean() > 0.1  # card-like rows
    assert (ins["NUM_INSTALMENT_VERSION"] == 1).mean() > 0.5
    paid = ins.dropna(subset=["DAYS_ENTRY_PAYMENT"])
    late = paid["DAYS_ENTRY_PAYMENT"] > paid["DAYS_INSTALMENT"]
    assert 0.06 < late.mean() < 0.12
    assert (paid["DAYS_ENTRY_PAYMENT"] <= -1).all() and (ins["DAYS_INSTALMENT"] <= -1).all()
    exact = (paid["AMT_PAYMENT"] - paid["AMT_INSTALMENT"]).abs() < 0.01
    assert exact.mean() > 0.85
    assert ins["AMT_PAYMENT"].isna().mean() < 0.01


# ---- determinism -------------------------------------------------------------------------------------------
def test_same_seed_same_tables_other_seed_other_tables(world, spec) -> None:
    apps, risk, tables = world
    again = generate_children(apps, risk, spec, np.random.default_rng(SEED))
    other = generate_children(apps, risk, spec, np.random.default_rng(SEED + 1))
    for name in TABLES:
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True)
        assert not tables[name].equals(other[name]), name


def test_progress_is_reported_per_table(spec) -> None:
    apps, risk = make_apps(200)
    seen: list[str] = []
    generate_children(apps, risk, spec, np.random.default_rng(0), progress=seen.append)
    assert sorted(seen) == sorted(TABLES)


# ---- planted signal ----------------------------------------------------------------------------------------
def test_riskier_applicants_behave_worse(world, signals) -> None:
    _, risk, _ = world
    high = risk > np.median(risk)
    for col in (
        "inst_late_share",
        "inst_short_share",
        "prev_refused_share",
        "bureau_overdue_active",
        "pos_dpd_share",
        "cc_utilisation",
    ):
        v = signals[col].to_numpy(dtype=float)
        assert np.nanmean(v[high]) > np.nanmean(v[~high]), col
    for col, floor in (("inst_late_share", 0.3), ("prev_refused_share", 0.25)):
        v = signals[col].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        assert rank_corr(risk[ok], v[ok]) >= floor, col


def test_effect_sizes_come_from_the_params(spec) -> None:
    apps, risk = make_apps(1000)
    flat = ChildrenParams(
        inst_late_risk=0.0,
        inst_late_noise=0.0,
        inst_short_risk=0.0,
        inst_short_noise=0.0,
        refused_risk=0.0,
        refused_noise=0.0,
    )
    t = generate_children(apps, risk, spec, np.random.default_rng(1), params=flat)
    s = side_signals(t, apps["SK_ID_CURR"].to_numpy())
    for col in ("inst_late_share", "prev_refused_share"):
        v = s[col].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        assert abs(rank_corr(risk[ok], v[ok])) < 0.12, col
    more_late = ChildrenParams(inst_late_rate=0.25)
    t2 = generate_children(apps, risk, spec, np.random.default_rng(1), params=more_late)
    ins = t2["installments_payments"]
    assert (ins["DAYS_ENTRY_PAYMENT"] > ins["DAYS_INSTALMENT"]).mean() > 0.2


# ---- volumes -----------------------------------------------------------------------------------------------
def test_volumes_match_the_spec(world, spec) -> None:
    apps, _, t = world
    vol = spec.volumes["mean_child_rows_per_parent"]
    n_prev, n_bureau = len(t["previous_application"]), len(t["bureau"])
    per_app = t["bureau"].groupby("SK_ID_CURR").size()
    checks = [
        (len(per_app) / len(apps), vol["bureau_per_applicant"]["share_applicants_with_any"]),
        (per_app.mean(), vol["bureau_per_applicant"]["mean_over_applicants_with_any"]),
        (n_bureau / len(apps), vol["bureau_per_applicant"]["mean_over_all_applicants_train_plus_test"]),
        (
            len(t["bureau_balance"]) / n_bureau,
            vol["bureau_balance_per_bureau_row"]["mean_over_all_bureau_rows"],
        ),
        (n_prev / len(apps), vol["previous_per_applicant"]["mean_over_all_applicants_train_plus_test"]),
        (
            len(t["POS_CASH_balance"]) / n_prev,
            vol["POS_CASH_per_previous_application"]["mean_over_all_previous"],
        ),
        (
            len(t["installments_payments"]) / n_prev,
            vol["installments_per_previous_application"]["mean_over_all_previous"],
        ),
        (
            len(t["credit_card_balance"]) / n_prev,
            vol["credit_card_per_previous_application"]["mean_over_all_previous"],
        ),
    ]
    for i, (got, want) in enumerate(checks):
        assert abs(got / want - 1) < 0.10, (i, got, want)
    maxima = spec.volumes["max_child_rows_per_parent_full"]
    assert per_app.max() <= maxima["bureau rows per SK_ID_CURR"]
    assert (
        t["bureau_balance"].groupby("SK_ID_BUREAU").size().max()
        <= maxima["bureau_balance rows per SK_ID_BUREAU"]
    )
    assert (
        t["credit_card_balance"].groupby("SK_ID_PREV").size().max()
        <= maxima["credit_card_balance rows per SK_ID_PREV"]
    )


# ---- side_signals ------------------------------------------------------------------------------------------
def test_side_signals_on_hand_made_tables() -> None:
    tables = {
        "installments_payments": pd.DataFrame(
            {
                "SK_ID_CURR": [1, 1, 1, 1, 2],
                "DAYS_INSTALMENT": [-100.0, -70, -40, -10, -50],
                "DAYS_ENTRY_PAYMENT": [-95.0, -75, np.nan, -12, -50],
                "AMT_INSTALMENT": [100.0, 100, 100, 100, 50],
                "AMT_PAYMENT": [100.0, 50, np.nan, 99.5, 50],
            }
        ),
        "bureau": pd.DataFrame(
            {
                "SK_ID_CURR": [1, 1, 1, 2],
                "CREDIT_ACTIVE": ["Active", "Active", "Closed", "Closed"],
                "CREDIT_DAY_OVERDUE": [10, 0, 0, 0],
                "AMT_CREDIT_SUM_DEBT": [1000.0, np.nan, 5000.0, 0.0],
            }
        ),
        "previous_application": pd.DataFrame(
            {
                "SK_ID_CURR": [1, 1, 1, 2],
                "NAME_CONTRACT_STATUS": ["Refused", "Approved", "Canceled", "Approved"],
            }
        ),
        "POS_CASH_balance": pd.DataFrame({"SK_ID_CURR": [2, 2, 2, 2], "SK_DPD": [0, 3, 0, 0]}),
        "credit_card_balance": pd.DataFrame(
            {
                "SK_ID_CURR": [1, 1, 1],
                "AMT_BALANCE": [50.0, 100.0, 10.0],
                "AMT_CREDIT_LIMIT_ACTUAL": [100, 100, 0],
            }
        ),
    }
    ids = np.array([2, 1, 3])
    s = side_signals(tables, ids, income=pd.Series([2000.0, 100.0, 1.0], index=[1, 2, 3]))
    assert list(s.index) == [2, 1, 3] and s.index.name == "SK_ID_CURR"
    assert s.loc[1, "inst_late_share"] == pytest.approx(0.25)  # only the first one is late; NaN entry is not
    assert s.loc[2, "inst_late_share"] == 0
    assert s.loc[1, "inst_short_share"] == pytest.approx(0.25)  # 50 < 99; 99.5 is within 1
    assert s.loc[1, "bureau_overdue_active"] == 1 and s.loc[3, "bureau_overdue_active"] == 0
    assert s.loc[1, "bureau_active_debt_to_income"] == pytest.approx(0.5)
    assert s.loc[2, "bureau_active_debt_to_income"] == 0
    assert s.loc[1, "prev_refused_share"] == pytest.approx(1 / 3)
    assert s.loc[2, "pos_dpd_share"] == pytest.approx(0.25)
    assert s.loc[1, "cc_utilisation"] == pytest.approx(0.75)
    for col in ("inst_late_share", "bureau_active_debt_to_income", "prev_refused_share", "cc_utilisation"):
        assert np.isnan(s.loc[3, col]), col
    assert np.isnan(s.loc[1, "pos_dpd_share"]) and np.isnan(s.loc[2, "cc_utilisation"])
    no_income = side_signals(tables, ids)
    assert no_income["bureau_active_debt_to_income"].isna().all()
