"""`generate`: the whole embedded dataset, its oracle and its drift manifest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from credit_scoring.generator.applications import APPLICATION, ID, TARGET, generate_applications, load_design
from credit_scoring.generator.children import generate_children, side_signals
from credit_scoring.generator.config import GenerationResult, GeneratorConfig
from credit_scoring.generator.signal import true_probability
from credit_scoring.generator.spec import load_spec
from credit_scoring.generator.writer import ensure_writable_dir, format_table, staged, write_csv

ID_START = 100_001
ORACLE_FILE = "oracle.csv"
MANIFEST_FILE = "drift_manifest.json"
CHILD_TABLES = (
    "bureau",
    "bureau_balance",
    "previous_application",
    "POS_CASH_balance",
    "credit_card_balance",
    "installments_payments",
)


class GeneratorError(ValueError):
    """A generation request that cannot be carried out (bad argument, unwritable folder)."""


def simulate(
    cfg: GeneratorConfig, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """All tables in memory (application_train/test and the six side tables) and the oracle frame."""
    note = progress or (lambda _msg: None)
    spec = load_spec(cfg.spec)
    design = load_design(cfg.spec)
    seeds = np.random.SeedSequence(cfg.seed).spawn(4)
    rng_ids, rng_apps, rng_children, rng_target = (np.random.default_rng(s) for s in seeds)

    n_train, n_test = cfg.applicants, cfg.test_applicants
    total = n_train + n_test
    ids = np.arange(ID_START, ID_START + total, dtype=np.int64)
    is_test = np.zeros(total, dtype=bool)
    is_test[rng_ids.choice(total, size=n_test, replace=False)] = True

    apps, lat = generate_applications(ids, is_test, spec, design, cfg.drift, rng_apps)
    note("applications")
    tie = design["factors"]["behaviour_tie_to_risk"]
    behaviour = tie * lat.risk + np.sqrt(1 - tie * tie) * rng_target.standard_normal(total)
    tables = generate_children(apps, behaviour, spec, rng_children, progress=note)
    side = side_signals(tables, ids, income=apps.set_index(ID)["AMT_INCOME_TOTAL"])
    p_true, _terms = true_probability(apps, side, design["signal"], ~is_test, cfg.target_rate)
    target = (rng_target.random(total) < p_true).astype(np.int64)
    note("planted signal")

    train = apps.loc[~is_test].copy()
    train.insert(1, TARGET, target[~is_test])
    tables = {APPLICATION: train.reset_index(drop=True), "application_test": apps.loc[is_test].reset_index(drop=True), **tables}
    oracle = pd.DataFrame(
        {ID: ids, "SPLIT": np.where(is_test, "test", "train"), "P_TRUE": p_true, TARGET: target}
    )
    return tables, oracle


def generate(
    cfg: GeneratorConfig,
    out_dir: Path,
    oracle_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> GenerationResult:
    """Write the eight Home Credit CSVs to `out_dir` and oracle.csv + drift_manifest.json to `oracle_dir`.

    Nothing in either folder is replaced until every file has been written.
    """
    start = time.perf_counter()
    out_dir, oracle_dir = Path(out_dir), Path(oracle_dir)
    if out_dir.resolve() == oracle_dir.resolve():
        raise GeneratorError("the oracle folder must differ from the data folder (the pipeline must not read it)")
    try:
        ensure_writable_dir(out_dir, "output")
        ensure_writable_dir(oracle_dir, "oracle")
    except PermissionError as e:
        raise GeneratorError(str(e)) from e

    note = progress or (lambda _msg: None)
    tables, oracle = simulate(cfg, progress)
    spec = load_spec(cfg.spec)
    decimals = load_design(cfg.spec)["decimals"]

    train = oracle["SPLIT"].to_numpy() == "train"
    y, p = oracle[TARGET].to_numpy(), oracle["P_TRUE"].to_numpy()
    summary = {
        "spec": cfg.spec,
        "seed": cfg.seed,
        "applicants": cfg.applicants,
        "test_applicants": cfg.test_applicants,
        "default_rate": {"train": float(y[train].mean()), "test": float(y[~train].mean())},
        "oracle_roc_auc": {"train": float(roc_auc_score(y[train], p[train])), "test": _auc(y[~train], p[~train])},
    }
    manifest = {
        "drifted_columns": sorted(cfg.drift),
        "shifts": {k: cfg.drift[k] for k in sorted(cfg.drift)},
        "unit": "shift of the column's Gaussian-copula score, in standard deviations, on application_test rows",
        "reference": "application_train",
        "current": "application_test",
        **summary,
    }

    with staged([out_dir, oracle_dir]) as (stage_data, stage_oracle):
        for name, frame in tables.items():
            write_csv(format_table(frame, spec[name], decimals), stage_data / spec[name].file)
            note(f"wrote {spec[name].file}")
        oracle_out = oracle.assign(P_TRUE=oracle["P_TRUE"].round(10))
        write_csv(oracle_out, stage_oracle / ORACLE_FILE)
        (stage_oracle / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")

    return GenerationResult(
        out_dir=out_dir,
        oracle_dir=oracle_dir,
        row_counts={spec[n].file: len(f) for n, f in tables.items()},
        default_rate=summary["default_rate"]["train"],
        oracle_auc=summary["oracle_roc_auc"]["train"],
        drifted_columns=manifest["drifted_columns"],
        seconds=time.perf_counter() - start,
    )


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
