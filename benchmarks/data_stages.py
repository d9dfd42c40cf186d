"""Benchmark of the data stages: wall time and peak memory of ingest, merge, split + features, and the same
aggregations in plain pandas (kernel style) as the reference, side by side.

    python benchmarks/data_stages.py                       # default size (30,000) and full scale (307,511)
    python benchmarks/data_stages.py --sizes 30000         # default size only
    python benchmarks/data_stages.py --skip-pandas         # stages only

Each measurement runs in its own process (peak memory = that process's max RSS). Datasets are generated
once into --workdir (default /tmp/credit-scoring-bench, never data/); generation is not timed. Results are
printed as a Markdown table and written to benchmarks/out/data_stages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import add_sizes, machine_note, met, run_child

SIZES = (30_000, 307_511)
INSTALMENTS_BLOCK = "installments"
MEASURES = ("ingest", "merge", "features", "merge_pandas", "instal_duckdb", "instal_pandas")
OUT_DIR = Path(__file__).parent / "out"
GIB = 1024**3
FULL_SCALE = 307_511
GOAL_SECONDS = 30.0  # full scale: ingest + merge + features (issue 14)
GOAL_PEAK_GIB = 3.0  # full scale: the largest peak RSS of the three stages


def overrides(root: Path) -> list[str]:
    return [
        f"paths.raw={root}/raw",
        f"paths.ingest={root}/artifacts/ingest",
        f"paths.merge={root}/artifacts/merge",
        f"paths.split={root}/artifacts/split",
        f"paths.features={root}/artifacts/features",
        f"paths.eda_report={root}/reports/eda.html",
    ]


# ---- child: one measurement in this process -----------------------------------------------------------------
def child(measure: str, root: Path) -> dict:
    from credit_scoring.config import compose_config

    cfg = compose_config(overrides(root))
    quiet = {"log": lambda _m: None}
    start = time.perf_counter()
    extra: dict = {}
    if measure == "ingest":
        from credit_scoring.stages.ingest import run as ingest

        ingest(cfg, **quiet)
    elif measure == "merge":
        from credit_scoring.stages.merge import run as merge

        extra["features"] = merge(cfg, **quiet)["features"]
    elif measure == "features":
        from credit_scoring.stages.features import run as features_stage
        from credit_scoring.stages.split import run as split_stage

        split_stage(cfg, **quiet)
        extra["features"] = features_stage(cfg, **quiet)["n_features"]
    elif measure == "merge_pandas":
        import pandas as pd

        from credit_scoring.features.aggregate_pandas import side_features_pandas

        tables = {spec.table for spec in cfg.dataset.aggregations}
        frames = {t: pd.read_parquet(Path(cfg.paths.ingest) / f"{t}.parquet") for t in tables}
        extra["features"] = side_features_pandas(frames, cfg.dataset).shape[1] - 1
    elif measure in ("instal_duckdb", "instal_pandas"):
        spec = next(s for s in cfg.dataset.aggregations if s.name == INSTALMENTS_BLOCK)
        path = Path(cfg.paths.ingest) / f"{spec.table}.parquet"
        from credit_scoring.features.merge import key_columns

        exclude = key_columns(cfg.dataset, spec.table)
        if measure == "instal_duckdb":
            import pyarrow.parquet as pq

            from credit_scoring.features.aggregate import aggregate_duckdb
            from credit_scoring.features.merge import connect
            from credit_scoring.features.sql import literal

            con = connect(cfg)
            result, plan = aggregate_duckdb(
                con,
                f"read_parquet({literal(str(path))})",
                spec,
                exclude,
                lambda columns: pq.read_table(path, columns=columns),
            )
            groups = result.num_rows
        else:
            import pandas as pd

            from credit_scoring.features.aggregate_pandas import aggregate_pandas

            result = aggregate_pandas(pd.read_parquet(path), spec, exclude)
            plan = list(result.columns[1:])
            groups = len(result)
        extra["aggregations"] = len(plan)
        extra["rows_in"] = int(__import__("pyarrow.parquet").parquet.read_metadata(path).num_rows)
        extra["groups"] = groups
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_bytes": usage.ru_maxrss * 1024,
        "load_average": os.getloadavg()[0],
        **extra,
    }


# ---- parent -------------------------------------------------------------------------------------------------
def ensure_dataset(root: Path, applicants: int, seed: int) -> None:
    """Generate the dataset in a subprocess: the parent must stay small, as its peak RSS is inherited by the
    measuring children (Linux keeps ru_maxrss across fork + exec)."""
    if (root / "raw" / "application_train.csv").is_file():
        return
    print(f"generating {applicants:,} applicants into {root} ...", flush=True)
    start = time.perf_counter()
    code = (
        "import sys; from pathlib import Path; from credit_scoring.generator import GeneratorConfig, generate; "
        "r = Path(sys.argv[1]); generate(GeneratorConfig(applicants=int(sys.argv[2]), seed=int(sys.argv[3])), "
        "r / 'raw', r / 'oracle')"
    )
    subprocess.run([sys.executable, "-c", code, str(root), str(applicants), str(seed)], check=True)
    print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)


def measure(name: str, root: Path) -> dict:
    """One step in its own process; the figures are the child's own (its time, CPU time and peak RSS)."""
    figures, _ = run_child(
        [sys.executable, __file__, "--child", name, "--root", str(root)], f"{name} failed", tail=3000
    )
    return figures


def table(results: dict[int, dict[str, dict]]) -> str:
    lines = [
        "| applicants | step | duckdb pipeline: time | peak memory | plain pandas: time | peak memory | "
        "pandas / pipeline (time, memory) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        total = sum(r[s]["seconds"] for s in ("ingest", "merge", "features"))
        peak = max(r[s]["peak_bytes"] for s in ("ingest", "merge", "features"))
        for step in ("ingest", "merge", "features"):
            cells = ["", "", ""]
            if step == "merge" and "merge_pandas" in r:
                p = r["merge_pandas"]
                cells = [
                    f"{p['seconds']:.1f} s",
                    f"{p['peak_bytes'] / GIB:.2f} GiB",
                    f"{p['seconds'] / r[step]['seconds']:.1f}x, {p['peak_bytes'] / r[step]['peak_bytes']:.1f}x",
                ]
            lines.append(
                f"| {size:,} | {step} | {r[step]['seconds']:.1f} s | {r[step]['peak_bytes'] / GIB:.2f} GiB | "
                + " | ".join(cells)
                + " |"
            )
        lines.append(f"| {size:,} | **3 stages** | **{total:.1f} s** | **{peak / GIB:.2f} GiB** |  |  |  |")
        if size == FULL_SCALE:
            lines.append(
                f"| {size:,} | goal | <= {GOAL_SECONDS:.0f} s: {met(total <= GOAL_SECONDS)} | "
                f"<= {GOAL_PEAK_GIB:.0f} GiB: {met(peak / GIB <= GOAL_PEAK_GIB)} |  |  |  |"
            )
        if "instal_duckdb" in r and "instal_pandas" in r:
            d, p = r["instal_duckdb"], r["instal_pandas"]
            lines.append(
                f"| {size:,} | installments only ({d['rows_in']:,} rows, {d['groups']:,} clients, "
                f"{d['aggregations']} aggregations) | {d['seconds']:.1f} s | {d['peak_bytes'] / GIB:.2f} GiB | "
                f"{p['seconds']:.1f} s | {p['peak_bytes'] / GIB:.2f} GiB | "
                f"{p['seconds'] / d['seconds']:.1f}x, {p['peak_bytes'] / d['peak_bytes']:.1f}x |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_sizes(ap, SIZES, minimum=100, help=f"applicant counts (default: {' '.join(map(str, SIZES))})")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/credit-scoring-bench"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--child", choices=MEASURES, help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.root)))
        return

    results: dict[int, dict[str, dict]] = {}
    for size in args.sizes:
        root = args.workdir / f"n{size}"
        ensure_dataset(root, size, args.seed)
        steps = ["ingest", "merge", "features"]
        if not args.skip_pandas:
            steps += ["merge_pandas", "instal_duckdb", "instal_pandas"]
        results[size] = {}
        for step in steps:
            r = measure(step, root)
            results[size][step] = r
            print(
                f"  {size:,} {step}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s cpu, "
                f"{r['peak_bytes'] / GIB:.2f} GiB (load average {r['load_average']:.1f})",
                flush=True,
            )
    report = table(results) + f"\n\n{machine_note()}"
    print()
    print(report)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "data_stages.json").write_text(
        json.dumps({"machine": platform.platform(), "results": results}, indent=2) + "\n"
    )
    (OUT_DIR / "data_stages.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
