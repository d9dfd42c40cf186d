"""Benchmark of the modelling stages: seconds per Hyperopt trial (LightGBM, XGBoost), peak memory, and the
scoring throughput of the logged pyfunc model (rows per second on a batch, latency of one row).

Per size, every step runs in a fresh Python subprocess whose peak RSS is its own `ru_maxrss` (os.wait4):
`prepare` generates the applicants (or reads `--raw`) and runs the data stages into a temporary folder;
`train` runs the train stage as DVC would (resampling none, `--trials` Hyperopt trials, a temporary MLflow
store); `score` loads the logged model with mlflow.pyfunc.load_model and scores the production rows
(application_test + side features): one batch, then one row at a time.

    uv run python benchmarks/training.py                            # 30,000 and full scale (307,511)
    uv run python benchmarks/training.py --sizes 30000              # the default size only
    uv run python benchmarks/training.py --sizes 30000 --raw data/raw   # reuse an existing dataset
    uv run python benchmarks/training.py --json                     # machine-readable output
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # OpenMP waits without spinning (shared machines)

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from common import add_sizes, machine_note, met, print_results, run_child

FULL_SCALE = 307_511  # applicants in the real application_train.csv
DEFAULT_SIZES = (30_000, FULL_SCALE)
DEFAULT_MODELS = ("lightgbm", "xgboost")
DEFAULT_TRIALS = 3
SINGLE_ROW_CALLS = 50  # one-row predictions timed (median reported)
GOAL_AROUND_FIT_SECONDS = 20.0  # full scale: the train stage's work around the fit (issue 14)
GOAL_TRAIN_RSS_MIB = 4 * 1024  # full scale: peak RSS of the train stage
GOAL_AUC_VS_ORACLE = 0.99  # test ROC AUC / oracle ROC AUC (the default config at the default size)


# ---- children (run in fresh processes) ------------------------------------------------------------------------
def _data_overrides(folder: Path, raw: Path, threads: int) -> list[str]:
    return [
        f"paths.raw={raw}",
        f"paths.ingest={folder}/ingest",
        f"paths.merge={folder}/merge",
        f"paths.split={folder}/split",
        f"paths.features={folder}/features",
        f"runtime.threads={threads}",
    ]


def child_prepare(size: int, seed: int, folder: Path, raw: str | None, threads: int) -> dict:
    from credit_scoring.config import compose_config
    from credit_scoring.generator import GeneratorConfig, generate
    from credit_scoring.stages.features import run as features_stage
    from credit_scoring.stages.ingest import run as ingest
    from credit_scoring.stages.merge import run as merge
    from credit_scoring.stages.split import run as split_stage

    start = time.perf_counter()
    if raw is None:
        generate(GeneratorConfig(applicants=size, seed=seed), folder / "raw", folder / "oracle")
        raw_dir = folder / "raw"
    else:
        raw_dir = Path(raw)
    generated = time.perf_counter() - start
    cfg = compose_config(_data_overrides(folder, raw_dir, threads))
    quiet = {"log": lambda _m: None}
    start = time.perf_counter()
    for stage in (ingest, merge, split_stage):
        stage(cfg, **quiet)
    report = features_stage(cfg, **quiet)
    return {
        "generate_seconds": round(generated, 1),
        "data_stages_seconds": round(time.perf_counter() - start, 1),
        "rows": report["rows"],
        "features": report["n_features"],
        "raw": str(raw_dir),
    }


def _modelling_config(folder: Path, raw: str, model: str, trials: int, threads: int, cv_folds: int = 0):
    from credit_scoring.config import compose_config

    oracle = Path(raw).parent / "oracle" / "oracle.csv"
    overrides = [
        *[o for o in _data_overrides(folder, Path(raw), threads) if not o.startswith("paths.raw")],
        f"paths.resample={folder}/resample",
        f"paths.train={folder}/train_{model}",
        f"paths.register={folder}/register",
        f"paths.oracle={oracle}",
        f"paths.data_dvc={folder}/data.dvc",
        f"registry.tracking_uri=sqlite:///{folder}/mlruns/mlflow.db",
        f"registry.artifact_location={folder}/mlruns/artifacts",
        f"model={model}",
        "resampling=none",
        "tuning=hyperopt",
        f"tuning.max_evals={trials}",
        "tuning.no_progress_trials=null",
        f"tuning.cv_folds={cv_folds}",
    ]
    return compose_config(overrides)


def child_train(folder: Path, raw: str, model: str, trials: int, threads: int, cv_folds: int) -> dict:
    from credit_scoring.stages.resample import run as resample_stage
    from credit_scoring.stages.train import run as train_stage

    cfg = _modelling_config(folder, raw, model, trials, threads, cv_folds)
    quiet = {"log": lambda _m: None}
    if not (Path(cfg.paths.resample) / "train.parquet").is_file():
        resample_stage(cfg, **quiet)
    start = time.perf_counter()
    metrics = train_stage(cfg, **quiet)  # metrics.json plus the tuning times
    seconds = time.perf_counter() - start
    from mlflow.tracking import MlflowClient

    from credit_scoring.io.catalog import Catalog
    from credit_scoring.tracking.store import tracking_uri
    from credit_scoring.tracking.train_run import find_train_run

    uri = tracking_uri(cfg.registry)
    record = Catalog(cfg.paths).train_run.read()
    made = find_train_run(MlflowClient(uri, registry_uri=uri), cfg.registry.experiment, record["run_key"])
    return {
        "train_stage_seconds": round(seconds, 1),
        "tuning": metrics["tuning"],
        "test_roc_auc": metrics["test"]["roc_auc"],
        "test_oracle_roc_auc": metrics["test"].get("oracle_roc_auc"),
        "model_uri": made.model_uri,
        "tracking_uri": uri,
    }


def child_score(folder: Path, raw: str, model: str, model_uri: str, tracking_uri: str, threads: int) -> dict:
    import mlflow
    import pandas as pd

    from credit_scoring.features.rows import applicant_rows, side_features_frame
    from credit_scoring.io.catalog import Catalog

    cfg = _modelling_config(folder, raw, model, 0, threads)
    ds = cfg.dataset
    app = pd.read_parquet(Path(cfg.paths.ingest) / f"{ds.production_table}.parquet")
    side = side_features_frame(Catalog(cfg.paths), cfg.features, ds.id, app[ds.id].to_numpy())
    rows = applicant_rows(app, side, ds)
    mlflow.set_tracking_uri(tracking_uri)
    start = time.perf_counter()
    loaded = mlflow.pyfunc.load_model(model_uri)
    load_seconds = time.perf_counter() - start
    pipeline = loaded.unwrap_python_model().pipeline

    def per_call(fn, calls: int) -> float:
        fn()  # warm-up
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    start = time.perf_counter()
    loaded.predict(rows)
    batch = time.perf_counter() - start
    one = rows.iloc[[0]]
    X = pipeline.impute(pipeline.preprocessor.transform_matrix(one).astype("float32"))
    return {
        "load_seconds": round(load_seconds, 2),
        "batch_rows": len(rows),
        "batch_rows_per_second": round(len(rows) / batch, 1),
        "pyfunc_one_row_ms": round(1000 * per_call(lambda: loaded.predict(one), SINGLE_ROW_CALLS), 2),
        "pipeline_one_row_ms": round(1000 * per_call(lambda: pipeline.predict(one), SINGLE_ROW_CALLS), 2),
        "model_one_row_ms": round(
            1000 * per_call(lambda: pipeline.model.predict_score(X), SINGLE_ROW_CALLS), 3
        ),
    }


CHILDREN = {"prepare": child_prepare, "train": child_train, "score": child_score}


# ---- parent ---------------------------------------------------------------------------------------------------
def run_step(kind: str, kwargs: dict) -> dict:
    """Run one child step in a fresh process; its JSON result plus wall time and peak RSS."""
    result, run = run_child(
        [sys.executable, __file__, "--child", kind, json.dumps(kwargs)], f"{kind} {kwargs} failed", tail=4000
    )
    result.update(wall_seconds=round(run.wall_seconds, 1), peak_rss_mb=round(run.peak_rss_mb, 1))
    return result


def run_size(size: int, args: argparse.Namespace, status: Console) -> dict:
    with tempfile.TemporaryDirectory(prefix="credit-scoring-train-bench-", dir=args.tmp_dir) as tmp:
        folder = Path(tmp)
        status.print(f"[dim]{size:,} applicants: data ...[/]")
        prepared = run_step(
            "prepare",
            {"size": size, "seed": args.seed, "folder": tmp, "raw": args.raw, "threads": args.threads},
        )
        out = {"applicants": size, "prepare": prepared, "models": {}}
        for model in args.models:
            status.print(f"[dim]{size:,} applicants: {model}, {args.trials} trials ...[/]")
            common = {"folder": tmp, "raw": prepared["raw"], "model": model, "threads": args.threads}
            trained = run_step("train", {**common, "trials": args.trials, "cv_folds": args.cv_folds})
            status.print(f"[dim]{size:,} applicants: {model}, scoring ...[/]")
            scored = run_step(
                "score",
                {**common, "model_uri": trained["model_uri"], "tracking_uri": trained["tracking_uri"]},
            )
            out["models"][model] = {"train": trained, "score": scored}
        del folder
    return out


def render(results: list[dict], console: Console) -> None:
    table = Table(title="credit-scoring training benchmark", header_style="bold")
    table.add_column("")
    columns = [(r, m) for r in results for m in r["models"]]
    for r, m in columns:
        table.add_column(f"{m}\n{r['applicants']:,} applicants", justify="right")

    def row(label: str, fn) -> None:
        table.add_row(label, *(fn(r, r["models"][m]) for r, m in columns))

    row("features", lambda r, _: f"{r['prepare']['features']:,}")
    row("train rows", lambda r, _: f"{r['prepare']['rows']['train']:,}")
    row("data stages", lambda r, _: f"{r['prepare']['data_stages_seconds']:.0f} s")
    table.add_section()
    row("seconds per trial", lambda _, m: f"{m['train']['tuning']['seconds_per_trial']:.1f} s")
    row("binning (once per run)", lambda _, m: f"{m['train']['tuning'].get('build_seconds', 0):.1f} s")
    row("rounds (best trial)", lambda _, m: f"{m['train']['tuning']['rounds']:,}")
    row("train child process wall time", lambda _, m: f"{m['train']['wall_seconds']:.0f} s")
    row("train stage itself", lambda _, m: f"{m['train']['train_stage_seconds']:.0f} s")
    row(f"around the fit (goal <= {GOAL_AROUND_FIT_SECONDS:.0f} s)", lambda _, m: _around_fit(m["train"]))
    row(
        f"train stage peak RSS (goal <= {GOAL_TRAIN_RSS_MIB:,} MiB)",
        lambda _, m: (
            f"{m['train']['peak_rss_mb']:,.0f} MiB, " + met(m["train"]["peak_rss_mb"] <= GOAL_TRAIN_RSS_MIB)
        ),
    )
    row("test ROC AUC / oracle", lambda _, m: _auc(m["train"]))
    row(f"AUC / oracle (goal >= {GOAL_AUC_VS_ORACLE})", lambda _, m: _auc_ratio(m["train"]))
    table.add_section()
    row("batch scoring (pyfunc)", lambda _, m: f"{m['score']['batch_rows_per_second']:,.0f} rows/s")
    row("one row, pyfunc", lambda _, m: f"{m['score']['pyfunc_one_row_ms']:.1f} ms")
    row("one row, unwrapped pipeline", lambda _, m: f"{m['score']['pipeline_one_row_ms']:.1f} ms")
    row("one row, booster on numpy", lambda _, m: f"{m['score']['model_one_row_ms']:.2f} ms")
    row("model load", lambda _, m: f"{m['score']['load_seconds']:.1f} s")
    row("scoring peak RSS", lambda _, m: f"{m['score']['peak_rss_mb']:,.0f} MiB")
    console.print(table)
    console.print(f"[dim]{machine_note()}[/]")


def _around_fit(train: dict) -> str:
    """The train stage's own time (not the child's imports and resample stage) less `fit_model` (binning,
    trials, refit, calibration and evaluation of the scores): reading, tracking, parity check, SHAP, logging."""
    around = train["train_stage_seconds"] - train["tuning"]["seconds"]
    return f"{around:.1f} s, {met(around <= GOAL_AROUND_FIT_SECONDS)}"


def _auc_ratio(train: dict) -> str:
    oracle = train.get("test_oracle_roc_auc")
    if not oracle:
        return "no oracle"
    ratio = train["test_roc_auc"] / oracle
    return f"{ratio:.3f}, {met(ratio >= GOAL_AUC_VS_ORACLE)}"


def _auc(train: dict) -> str:
    oracle = train.get("test_oracle_roc_auc")
    return f"{train['test_roc_auc']:.4f}" + (f" / {oracle:.4f}" if oracle else "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kwargs = json.loads(argv[2])
        if "folder" in kwargs:
            kwargs["folder"] = Path(kwargs["folder"])
        print(json.dumps(CHILDREN[argv[1]](**kwargs)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sizes(parser, DEFAULT_SIZES, minimum=1000, help="comma-separated applicant counts")
    parser.add_argument(
        "--models", nargs="+", default=list(DEFAULT_MODELS), choices=["lightgbm", "xgboost", "logreg"]
    )
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS, help="Hyperopt trials per model")
    parser.add_argument(
        "--cv-folds", type=int, default=0, help="tuning.cv_folds (default 0: one validation split)"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads of the boosters and duckdb")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument(
        "--raw", default=None, help="an existing raw folder to use instead of generating (one size)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--tmp-dir", default=None, help="where the temporary folders go (default: $TMPDIR)")
    args = parser.parse_args(argv)
    if args.raw is not None and len(args.sizes) != 1:
        parser.error("--raw goes with exactly one size (the size of that dataset)")
    status = Console(stderr=True)
    results = [run_size(size, args, status) for size in args.sizes]
    print_results(results, args.json, lambda runs: render(runs, Console()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
