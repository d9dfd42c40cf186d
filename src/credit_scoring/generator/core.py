"""`generate`: the whole embedded dataset, its oracle and its drift manifest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from credit_scoring.generator.applications import APPLICATION, ID, TARGET, generate_applications, load_design
from credit_scoring.generator.children import TABLES, generate_children, side_signals
from credit_scoring.generator.config import GenerationResult, GeneratorConfig
from credit_scoring.generator.signal import true_probability
from credit_scoring.generator.spec import load_spec
from credit_scoring.generator.writer import ensure_writable_dir, format_table, staged, write_csv

ORACLE_FILE = "oracle.csv"
MANIFEST_FILE = "drift_manifest.json"


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

    n_test, total = cfg.test_applicants, cfg.total_applicants
    ids = np.arange(cfg.id_start, cfg.id_start + total, dtype=np.int64)
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
    tables = {
        APPLICATION: train.reset_index(drop=True),
        "application_test": apps.loc[is_test].reset_index(drop=True),
        **tables,
    }
    oracle = pd.DataFrame(
        {ID: ids, "SPLIT": np.where(is_test, "test", "train"), "P_TRUE": p_true, TARGET: target}
    )
    return tables, oracle


def _check_dirs(out_dir: Path, oracle_dir: Path) -> None:
    if out_dir.resolve() == oracle_dir.resolve():
        raise GeneratorError(
            "the oracle folder must differ from the data folder (the pipeline must not read it)"
        )
    try:
        ensure_writable_dir(out_dir, "output")
        ensure_writable_dir(oracle_dir, "oracle")
    except PermissionError as e:
        raise GeneratorError(str(e)) from e


def _manifest(cfg: GeneratorConfig, oracle: pd.DataFrame) -> dict[str, Any]:
    train = oracle["SPLIT"].to_numpy() == "train"
    y, p = oracle[TARGET].to_numpy(), oracle["P_TRUE"].to_numpy()
    return {
        "drifted_columns": sorted(cfg.drift),
        "shifts": {k: cfg.drift[k] for k in sorted(cfg.drift)},
        "unit": "shift of the column's Gaussian-copula score, in standard deviations, on application_test rows",
        "reference": "application_train",
        "current": "application_test",
        "spec": cfg.spec,
        "seed": cfg.seed,
        "applicants": cfg.applicants,
        "test_applicants": cfg.test_applicants,
        "default_rate": {"train": _mean(y[train]), "test": _mean(y[~train])},
        "oracle_roc_auc": {"train": roc_auc(y[train], p[train]), "test": roc_auc(y[~train], p[~train])},
    }


def _write(
    cfg: GeneratorConfig,
    tables: dict[str, pd.DataFrame],
    oracle: pd.DataFrame,
    manifest: dict[str, Any],
    out_dir: Path,
    oracle_dir: Path,
    note: Callable[[str], None],
) -> None:
    """Write tables + oracle + manifest; nothing in either folder is replaced until every file is written."""
    spec = load_spec(cfg.spec)
    decimals = load_design(cfg.spec)["decimals"]
    with staged([out_dir, oracle_dir]) as (stage_data, stage_oracle):
        for name, frame in tables.items():
            write_csv(format_table(frame, spec[name], decimals), stage_data / spec[name].file)
            note(f"wrote {spec[name].file}")
        write_csv(oracle.assign(P_TRUE=oracle["P_TRUE"].round(9)), stage_oracle / ORACLE_FILE)
        (stage_oracle / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")


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
    _check_dirs(out_dir, oracle_dir)
    note = progress or (lambda _msg: None)
    tables, oracle = simulate(cfg, progress)
    manifest = _manifest(cfg, oracle)
    _write(cfg, tables, oracle, manifest, out_dir, oracle_dir, note)
    return GenerationResult(
        out_dir=out_dir,
        oracle_dir=oracle_dir,
        row_counts={load_spec(cfg.spec)[n].file: len(f) for n, f in tables.items()},
        default_rate=manifest["default_rate"]["train"],
        oracle_auc=manifest["oracle_roc_auc"]["train"],
        drifted_columns=manifest["drifted_columns"],
        seconds=time.perf_counter() - start,
    )


def production_only(
    tables: dict[str, pd.DataFrame], oracle: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Keep the production (application_test) applicants and their side-table rows only."""
    keep = oracle.loc[oracle["SPLIT"] == "test", ID].to_numpy()
    out = {"application_test": tables["application_test"]}
    for name in TABLES:
        frame = tables[name]
        if ID in frame.columns:
            out[name] = frame.loc[frame[ID].isin(keep)].reset_index(drop=True)
    bureau_ids = out["bureau"]["SK_ID_BUREAU"]
    bb = tables["bureau_balance"]
    out["bureau_balance"] = bb.loc[bb["SK_ID_BUREAU"].isin(bureau_ids)].reset_index(drop=True)
    out = {name: out[name] for name in ("application_test", *TABLES)}
    return out, oracle.loc[oracle["SPLIT"] == "test"].reset_index(drop=True)


def batch_config(cfg: GeneratorConfig, month: int, months: int, batch_applicants: int) -> GeneratorConfig:
    """The settings of production month `month` (1-based): drift grows linearly to the full drift at `months`."""
    if not 1 <= month <= months:
        raise ValueError(f"month must be in 1..{months}, got {month}")
    return replace(
        cfg,
        applicants=batch_applicants,
        test_to_train=1.0,
        seed=cfg.seed * 1_000 + month,
        id_start=cfg.id_start + cfg.total_applicants + (month - 1) * 2 * batch_applicants,
        drift={k: v * month / months for k, v in cfg.drift.items()},
    )


def generate_batches(
    cfg: GeneratorConfig,
    months: int,
    batch_applicants: int,
    out_dir: Path,
    oracle_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Monthly production batches `out_dir/month_NN/` (application_test.csv + side tables of its applicants).

    Month m carries m/months of `cfg.drift`; its oracle (labels that "arrive later") and manifest go to
    `oracle_dir/month_NN/`. Ids never collide with the base dataset of `cfg` nor between months.
    """
    if months < 1:
        raise GeneratorError(f"months must be at least 1, got {months}")
    if batch_applicants < 100:
        raise GeneratorError(f"batch size must be at least 100 applicants, got {batch_applicants}")
    out_dir, oracle_dir = Path(out_dir), Path(oracle_dir)
    _check_dirs(out_dir, oracle_dir)
    note = progress or (lambda _msg: None)
    written = []
    for month in range(1, months + 1):
        sub = batch_config(cfg, month, months, batch_applicants)
        tables, oracle = simulate(sub)
        manifest = {**_manifest(sub, oracle), "month": month, "months": months}
        tables, oracle = production_only(tables, oracle)
        name = f"month_{month:02d}"
        _check_dirs(out_dir / name, oracle_dir / name)
        _write(sub, tables, oracle, manifest, out_dir / name, oracle_dir / name, lambda _msg: None)
        note(f"wrote {name}")
        written.append(out_dir / name)
    return written


def _mean(y: np.ndarray) -> float | None:
    return round(float(y.mean()), 6) if len(y) else None


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """ROC AUC by the rank-sum formula (ties get average ranks); None when only one class is present."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(p)
    return round(float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 6)
