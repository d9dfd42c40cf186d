"""Small pieces of the generator's orchestration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from credit_scoring.generator import GeneratorConfig
from credit_scoring.generator.core import batch_config, roc_auc


def test_rank_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(2_000) < 0.1
    p = np.round(rng.random(2_000), 2) + 0.1 * y
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-6)
    assert roc_auc(np.zeros(5), np.arange(5)) is None


def test_batch_config_scales_drift_and_moves_ids_past_the_base_dataset() -> None:
    cfg = GeneratorConfig(applicants=1_000, drift={"AMT_CREDIT": 0.9})
    first, last = batch_config(cfg, 1, 3, 500), batch_config(cfg, 3, 3, 500)
    assert first.drift == {"AMT_CREDIT": pytest.approx(0.3)} and last.drift == {
        "AMT_CREDIT": pytest.approx(0.9)
    }
    assert first.id_start >= cfg.id_start + cfg.total_applicants
    assert last.id_start >= first.id_start + first.total_applicants
    assert first.seed != last.seed != cfg.seed
    with pytest.raises(ValueError, match="month"):
        batch_config(cfg, 4, 3, 500)
