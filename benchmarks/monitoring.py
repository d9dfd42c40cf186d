"""Benchmark of the monitoring library: PSI on the whole feature table, and the Evidently report.

Each measurement runs in a fresh Python subprocess (imports, memory and caches do not carry over); the
peak RSS is the child's own `ru_maxrss` (os.wait4 on that child), and the child also reports the time of
the measured call alone and, from a second run under tracemalloc (which slows what it watches, so it is
not timed), the call's peak working memory on top of the data it was given.

* PSI: `drift_table` (bins, PSI, chi-square test, BH adjustment, drift decision) of every column of a
  reference of N rows x 800 float32 features against a production batch of N * 48,744 / 307,511 rows.
  The frames are the real feature tables (artifacts/features/train.parquet + production.parquet) when
  --features points at them, otherwise random data of the feature table's shape: continuous columns
  (lognormal, normal; up to 70% missing), 0/1 one-hot indicators of varied rarity, small counts; 5% of
  the columns shifted in production. Target: under 10 s at full scale (307,511 + 48,744 = 356,255 rows).
* Evidently: `run_evidently` at its configured size (EvidentlyConfig: top_features + the score, max_rows
  sampled rows per side), HTML and JSON written.

    uv run python benchmarks/monitoring.py                   # full scale (307,511 reference rows)
    uv run python benchmarks/monitoring.py --sizes 30000     # small only
    uv run python benchmarks/monitoring.py --skip-evidently  # PSI only
    uv run python benchmarks/monitoring.py --json
    uv run python benchmarks/monitoring.py --stage           # + the whole `monitor` stage on this project

* Stage (--stage): `python pipelines/monitor.py` on the project's current artifacts and champion (after
  `make run`), reports written to a temporary folder and its MLflow run to a benchmark experiment: wall time,
  peak RSS, and the stage's own PSI / Evidently / total times. Target: under 2 minutes at full scale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile

from rich.console import Console
from rich.table import Table

from common import add_sizes, machine_note, print_results, run_child, run_measured

FULL_SCALE = 307_511  # rows of the real application_train.csv (the reference population)
PRODUCTION_SHARE = 48_744 / 307_511  # application_test / application_train
DEFAULT_COLUMNS = 800
CHILD_ENV = {**os.environ, "DO_NOT_TRACK": "1"}  # no usage telemetry from Evidently

# Runs in the child: build the frames, time the call, print its figures as one JSON line.
CHILD = r"""
import json, sys, time, tracemalloc
from pathlib import Path
import numpy as np, pandas as pd

what, rows, cols, features, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
prod_rows = max(100, round(rows * PRODUCTION_SHARE))

def synthetic(n, k, seed, shifted=()):
    rng = np.random.default_rng(seed)
    kinds = np.random.default_rng(0).choice(3, size=k, p=[0.45, 0.45, 0.10])  # same layout on both sides
    data = {}
    for j in range(k):
        shift = 0.3 if j in shifted else 0.0
        if kinds[j] == 0:  # continuous, some heavy-tailed, some mostly missing
            v = rng.standard_normal(n, dtype=np.float32) + shift
            if j % 2:
                v = np.exp(v, dtype=np.float32)
            miss = (j * 7919 % 100) / 100 * 0.7
            if miss > 0.05:
                v[rng.random(n, dtype=np.float32) < miss] = np.nan
        elif kinds[j] == 1:  # one-hot indicator
            p = 10 ** (-3 + 2.7 * ((j * 104729) % 1000) / 1000)
            v = (rng.random(n, dtype=np.float32) < p * (1.5 if shift else 1.0)).astype(np.float32)
        else:  # small counts
            v = rng.poisson(1.0 + shift, n).astype(np.float32)
        data[f"F{j:03d}"] = v
    return pd.DataFrame(data)

if features != "-":
    ref = pd.read_parquet(Path(features) / "train.parquet")
    cur = pd.read_parquet(Path(features) / "production.parquet")
    keep = [c for c in ref.columns if c in cur.columns and c not in ("SK_ID_CURR", "TARGET")]
    ref, cur = ref[keep], cur[keep]
    source = "feature table"
else:
    ref = synthetic(rows, cols, 1)
    cur = synthetic(prod_rows, cols, 2, shifted=set(range(0, cols, 20)))
    source = "synthetic"
data_mb = (ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum()) / 2**20

from credit_scoring.config.monitoring import load_monitoring
cfg = load_monitoring()
rng = np.random.default_rng(3)
if what == "psi":
    from credit_scoring.monitoring.drift import drift_table
    ref["score"] = rng.beta(1, 10, len(ref)).astype(np.float32)
    cur["score"] = rng.beta(1.1, 10, len(cur)).astype(np.float32)
    start = time.perf_counter()
    table = drift_table(ref, cur, score_column="score", cfg=cfg)
    seconds = time.perf_counter() - start
    tracemalloc.start()  # a second run for the working memory (tracemalloc slows the code it watches)
    drift_table(ref, cur, score_column="score", cfg=cfg)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    extra = {"features": int((table["role"] == "feature").sum()), "drifted": int(table["drifted"].sum())}
else:
    from credit_scoring.monitoring.evidently_report import run_evidently
    top = list(ref.columns[: cfg.evidently.top_features])
    ref["score"] = rng.beta(1, 10, len(ref))
    cur["score"] = rng.beta(1.1, 10, len(cur))
    t0 = time.perf_counter()
    import evidently  # noqa: F401  (import timed apart: it alone takes tens of seconds)
    import_seconds = time.perf_counter() - t0
    start = time.perf_counter()
    res = run_evidently(ref, cur, [*top, "score"], cfg.evidently, Path(out) / "ev.html", Path(out) / "ev.json")
    seconds = time.perf_counter() - start
    tracemalloc.start()  # a second run for the working memory (tracemalloc slows the code it watches)
    run_evidently(ref, cur, [*top, "score"], cfg.evidently)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    extra = {"columns": len(top) + 1, "rows_reference": res.rows_reference, "rows_current": res.rows_current,
             "import_seconds": round(import_seconds, 2), "passed": res.passed,
             "html_mb": round((Path(out) / "ev.html").stat().st_size / 2**20, 1)}
print(json.dumps({"what": what, "source": source, "reference_rows": len(ref), "production_rows": len(cur),
                  "table_columns": int(ref.shape[1]), "data_mb": round(data_mb, 1),
                  "seconds": round(seconds, 2), "call_peak_mb": round(peak, 1), **extra}))
""".replace("PRODUCTION_SHARE", repr(PRODUCTION_SHARE))


def run_one(what: str, rows: int, columns: int, features: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="credit-scoring-bench-mon-") as folder:
        figures, run = run_child(
            [sys.executable, "-c", CHILD, what, str(rows), str(columns), features or "-", folder],
            f"{what} benchmark at {rows:,} rows failed",
            env=CHILD_ENV,
        )
    figures.update(wall_seconds=round(run.wall_seconds, 1), peak_rss_mb=round(run.peak_rss_mb, 1))
    return figures


STAGE_TIMES = {
    "psi_seconds": re.compile(r"PSI and drift tests of ([\d,]+) columns in ([\d.]+) s"),
    "evidently_seconds": re.compile(r"Evidently on \d+ columns in ([\d.]+) s"),
    "stage_seconds": re.compile(r"\] done in ([\d.]+) s"),
    "rows": re.compile(r"reference ([\d,]+) rows, current \S+ ([\d,]+) rows"),
}


def run_stage() -> dict:
    """The whole monitor stage in a fresh process, outputs in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="credit-scoring-bench-stage-") as folder:
        overrides = [
            f"monitoring.report.drift_dir={folder}/drift",
            f"monitoring.report.reports_dir={folder}",
            f"paths.monitor={folder}/monitor",
            "monitoring.tracking.experiment=credit_scoring_monitoring_benchmark",
        ]
        run = run_measured(
            [sys.executable, "pipelines/monitor.py", *overrides], env=CHILD_ENV, merge_stderr=True
        )
    out = run.stdout
    if run.code != 0:
        raise SystemExit(f"the monitor stage failed:\n{out}")
    figures: dict = {
        "what": "stage",
        "wall_seconds": round(run.wall_seconds, 1),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
    }
    for key, pattern in STAGE_TIMES.items():
        m = pattern.search(out)
        if m and key == "psi_seconds":
            figures["columns"], figures[key] = int(m.group(1).replace(",", "")), float(m.group(2))
        elif m and key == "rows":
            figures["reference_rows"], figures["production_rows"] = (
                int(g.replace(",", "")) for g in m.groups()
            )
        elif m:
            figures[key] = float(m.group(1))
    return figures


def render_stage(r: dict, console: Console) -> None:
    console.print(
        f"monitor stage: {r.get('reference_rows', 0):,} reference / {r.get('production_rows', 0):,} production "
        f"rows, {r.get('columns', 0):,} columns: wall {r['wall_seconds']} s (stage {r.get('stage_seconds')} s: "
        f"PSI {r.get('psi_seconds')} s, Evidently {r.get('evidently_seconds')} s), peak RSS "
        f"{r['peak_rss_mb']:,.0f} MiB; target < 120 s at full scale"
    )
    console.print(f"[dim]{machine_note()}[/]")


def render(results: list[dict], stage: dict | None, console: Console) -> None:
    table = Table(title="credit-scoring monitoring benchmark", header_style="bold")
    for name in ("measure", "rows ref / prod", "cols", "time", "call peak", "peak RSS"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    notes = []
    for r in results:
        if r["what"] == "psi":
            label = "PSI + test, every column"
            notes.append(
                f"PSI: {r['source']} data ({r['data_mb']:,.0f} MiB), {r['features']} features, "
                f"{r['drifted']} drifted; target < 10 s"
            )
        else:
            label = "Evidently DataDriftPreset"
            notes.append(
                f"Evidently: top features + score of {r['source']} data; its import ({r['import_seconds']} s) "
                f"timed apart; HTML {r['html_mb']} MiB; tests passed: {r['passed']}"
            )
        rows = r.get("rows_reference", r["reference_rows"]), r.get("rows_current", r["production_rows"])
        table.add_row(
            label,
            f"{rows[0]:,} / {rows[1]:,}",
            str(r.get("columns", r["table_columns"])),
            f"{r['seconds']:.2f} s",
            f"{r['call_peak_mb']:,.0f} MiB",
            f"{r['peak_rss_mb']:,.0f} MiB",
        )
    console.print(table)
    for note in notes:
        console.print(f"  {note}")
    console.print(
        f"[dim]{machine_note()}; "
        "time: the call alone; call peak: its tracemalloc peak (a second run); peak RSS: the whole child's[/]"
    )
    if stage is not None:
        render_stage(stage, console)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sizes(
        parser,
        [FULL_SCALE],
        minimum=1000,
        help=f"comma-separated reference row counts (default: {FULL_SCALE}); production gets 15.85%% of it",
    )
    parser.add_argument("--columns", type=int, default=DEFAULT_COLUMNS, help="feature columns (synthetic)")
    parser.add_argument(
        "--features",
        default=None,
        help="a features folder (train/production parquet) instead of synthetic data",
    )
    parser.add_argument("--skip-evidently", action="store_true", help="PSI only")
    parser.add_argument(
        "--stage", action="store_true", help="also time the whole monitor stage (after make run)"
    )
    parser.add_argument("--stage-only", action="store_true", help="only time the whole monitor stage")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args(argv)

    status = Console(stderr=True)
    results = []
    stage = None
    if args.stage or args.stage_only:
        status.print("[dim]the monitor stage in a fresh process...[/]")
        stage = run_stage()
        if args.stage_only:
            print(json.dumps(stage, indent=2)) if args.json else render_stage(stage, Console())
            return 0
    for size in args.sizes:
        what = (
            f"the feature tables of {args.features}"
            if args.features
            else f"{size:,} x {args.columns} synthetic"
        )
        status.print(f"[dim]PSI on {what} in a fresh process...[/]")
        results.append(run_one("psi", size, args.columns, args.features))
    if not args.skip_evidently:
        size = max(args.sizes)
        status.print("[dim]Evidently report at its configured size in a fresh process...[/]")
        results.append(run_one("evidently", size, args.columns, args.features))
    print_results(results, args.json, lambda runs: render(runs, stage, Console()), stage=stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
