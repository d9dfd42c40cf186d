"""Resampling of the training split: ids, ratios, imputation, and no validation / test row ever touched."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from credit_scoring.config.modelling import ResamplingConfig, ResamplingMethod
from credit_scoring.modelling.resampling import WEIGHT_COLUMN, resample
from credit_scoring.stages.resample import run as resample_stage

ID, TARGET = "SK_ID_CURR", "TARGET"


def frame(n: int, seed: int, first_id: int, positive_rate: float = 0.1) -> pd.DataFrame:
    """A features-stage-like table: id, target, float32 features with missing values."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < positive_rate).astype("int8")
    X = rng.normal(size=(n, 4)).astype("float32") + y[:, None]
    X[rng.uniform(size=X.shape) < 0.1] = np.nan
    feats = pd.DataFrame(X, columns=["A", "B", "C", "D"])
    return pd.concat([pd.DataFrame({ID: np.arange(first_id, first_id + n), TARGET: y}), feats], axis=1)


def config(method: ResamplingMethod, ratio: float = 0.5) -> ResamplingConfig:
    return ResamplingConfig(name=method.value, method=method, sampling_strategy=ratio, k_neighbors=3, seed=1)


@pytest.mark.parametrize("method", list(ResamplingMethod))
def test_kept_rows_keep_their_id_and_values(method: ResamplingMethod) -> None:
    train = frame(400, 0, 1000)
    before = train.copy()
    out = resample(train, ID, TARGET, config(method))
    pd.testing.assert_frame_equal(train, before)  # input not modified
    assert list(out.frame.columns) == [ID, TARGET, WEIGHT_COLUMN, "A", "B", "C", "D"]
    real = out.frame[out.frame[ID] >= 0]
    assert set(real[ID]) <= set(train[ID])
    assert (out.frame[ID] < 0).any() == (
        method in (ResamplingMethod.smote, ResamplingMethod.adasyn, ResamplingMethod.smote_tomek)
    )
    source = train.set_index(ID).loc[real[ID], ["A", "B", "C", "D"]].to_numpy()
    if out.imputer is not None:
        source = out.imputer.transform(source)
        assert not out.frame[["A", "B", "C", "D"]].isna().any().any()
    assert np.allclose(real[["A", "B", "C", "D"]].to_numpy(), source, equal_nan=True)


def test_ratios_after_resampling() -> None:
    train = frame(2000, 1, 1)
    neg = (train[TARGET] == 0).sum()
    under = resample(train, ID, TARGET, config(ResamplingMethod.random_under, 0.5)).frame
    assert (under[TARGET] == 1).sum() / (under[TARGET] == 0).sum() == pytest.approx(0.5, abs=0.01)
    smote = resample(train, ID, TARGET, config(ResamplingMethod.smote, 0.5)).frame
    assert (smote[TARGET] == 0).sum() == neg
    assert (smote[TARGET] == 1).sum() == pytest.approx(0.5 * neg, abs=1)
    weighted = resample(train, ID, TARGET, config(ResamplingMethod.class_weight, 1.0)).frame
    w, y = weighted[WEIGHT_COLUMN], weighted[TARGET]
    assert w[y == 1].sum() == pytest.approx(w[y == 0].sum())
    assert len(weighted) == len(train)


def test_stage_reads_the_training_split_only(tmp_path: Path) -> None:
    """Validation and test rows sit beside train.parquet; not one of them may reach the output."""
    features = tmp_path / "features"
    features.mkdir()
    train, valid, test = frame(600, 0, 1), frame(200, 1, 10_001), frame(200, 2, 20_001)
    for name, table in (("train", train), ("valid", valid), ("test", test)):
        table.to_parquet(features / f"{name}.parquet", index=False)
    cfg = SimpleNamespace(
        dataset=SimpleNamespace(id=ID, target=TARGET),
        paths=SimpleNamespace(features=str(features), resample=str(tmp_path / "resample")),
        resampling=config(ResamplingMethod.smote, 0.5),
    )
    report = resample_stage(cfg, log=lambda _m: None)
    out = pd.read_parquet(tmp_path / "resample" / "train.parquet")
    assert (tmp_path / "resample" / "imputer.joblib").is_file()
    held_out = set(valid[ID]) | set(test[ID])
    assert not held_out & set(out[ID])
    assert set(out.loc[out[ID] >= 0, ID]) <= set(train[ID])
    # no output row equals a held-out row (synthetic rows interpolate training positives only)
    held_rows = {
        tuple(np.round(r, 4)) for r in pd.concat([valid, test])[["A", "B", "C", "D"]].fillna(0).to_numpy()
    }
    out_rows = {tuple(np.round(r, 4)) for r in out[["A", "B", "C", "D"]].to_numpy()}
    assert not held_rows & out_rows
    assert report["synthetic_rows"] == int((out[ID] < 0).sum()) > 0
