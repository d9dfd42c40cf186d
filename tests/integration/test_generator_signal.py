"""The planted signal at the default size: as hard as the real problem, and partly only in the side tables."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from credit_scoring.generator import GeneratorConfig
from credit_scoring.generator.core import simulate

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def default_dataset() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    return simulate(GeneratorConfig())


def test_oracle_auc_is_as_hard_as_the_real_problem(default_dataset) -> None:
    tables, oracle = default_dataset
    train = oracle[oracle["SPLIT"] == "train"]
    auc = roc_auc_score(train["TARGET"], train["P_TRUE"])
    assert 0.78 <= auc <= 0.84
    assert abs(tables["application_train"]["TARGET"].mean() - 0.0807) < 0.006


def _kernel_style_side_features(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A few plain aggregates per applicant, as any feature pipeline would build (not the generator's own)."""
    inst = tables["installments_payments"]
    inst = inst.assign(
        DPD=(inst["DAYS_ENTRY_PAYMENT"] - inst["DAYS_INSTALMENT"]).clip(lower=0),
        PAY_DIFF=inst["AMT_INSTALMENT"] - inst["AMT_PAYMENT"],
    )
    prev = tables["previous_application"]
    prev = prev.assign(REFUSED=(prev["NAME_CONTRACT_STATUS"] == "Refused").astype(float))
    bureau = tables["bureau"]
    pos = tables["POS_CASH_balance"]
    cc = tables["credit_card_balance"]
    parts = [
        inst.groupby("SK_ID_CURR")[["DPD", "PAY_DIFF"]].agg(["mean", "max"]),
        prev.groupby("SK_ID_CURR")[["REFUSED", "AMT_CREDIT"]].agg(["mean", "sum"]),
        bureau.groupby("SK_ID_CURR")[["CREDIT_DAY_OVERDUE", "AMT_CREDIT_SUM_DEBT"]].agg(
            ["mean", "max", "sum"]
        ),
        pos.groupby("SK_ID_CURR")[["SK_DPD"]].agg(["mean", "max"]),
        cc.groupby("SK_ID_CURR")[["AMT_BALANCE", "AMT_CREDIT_LIMIT_ACTUAL"]].agg(["mean"]),
    ]
    out = pd.concat(parts, axis=1)
    out.columns = ["_".join(c) for c in out.columns]
    return out


def _auc(x: pd.DataFrame, y: pd.Series) -> float:
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    model = lgb.LGBMClassifier(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=50,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        verbose=-1,
        random_state=0,
    )
    model.fit(x_tr, y_tr)
    return roc_auc_score(y_te, model.predict_proba(x_te)[:, 1])


def test_side_tables_carry_signal_the_application_alone_lacks(default_dataset) -> None:
    tables, _ = default_dataset
    train = tables["application_train"]
    y = train["TARGET"]
    app = train.drop(columns=["TARGET", "SK_ID_CURR"])
    app = app.apply(lambda s: s.astype("category") if s.dtype == object else s)
    side = _kernel_style_side_features(tables).reindex(train["SK_ID_CURR"]).reset_index(drop=True)
    auc_app = _auc(app, y)
    auc_all = _auc(pd.concat([app, side], axis=1), y)
    assert auc_all - auc_app >= 0.015, (auc_app, auc_all)
    assert np.isfinite(auc_app) and auc_app > 0.65
