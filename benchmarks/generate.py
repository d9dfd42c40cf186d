"""Benchmark of the embedded dataset generator: wall time, peak memory and rows written per table.

Each size runs in a fresh Python subprocess writing into a temporary folder, so that imports, memory
and caches do not carry over from one size to the next. The peak RSS is the child's own `ru_maxrss`
(read with os.wait4 on that child, i.e. getrusage(RUSAGE_CHILDREN) restricted to it).

    uv run python benchmarks/generate.py                  # 30,000 and full scale (307,511 applicants)
    uv run python benchmarks/generate.py --sizes 30000    # the small one only
    uv run python benchmarks/generate.py --json           # machine-readable output
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from rich.console import Console
from rich.table import Table

from common import add_sizes, machine_note, print_results, run_child

FULL_SCALE = 307_511  # applicants in the real application_train.csv
DEFAULT_SIZES = (30_000, FULL_SCALE)

# Runs in the child: one generation, then its figures as one JSON line on stdout.
CHILD = """
import json, sys
from pathlib import Path
from credit_scoring.generator import GeneratorConfig, generate

applicants, seed, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
res = generate(GeneratorConfig(applicants=applicants, seed=seed), out_dir=folder / "raw",
               oracle_dir=folder / "oracle", progress=None)
files = sorted(p for p in folder.rglob("*") if p.is_file())
print(json.dumps({
    "row_counts": {str(k): int(v) for k, v in res.row_counts.items()},
    "generator_seconds": float(res.seconds),
    "default_rate": float(res.default_rate),
    "oracle_auc": float(res.oracle_auc),
    "files": len(files),
    "bytes_written": sum(p.stat().st_size for p in files),
}))
"""


def run_one(applicants: int, seed: int, tmp_root: str | None) -> dict:
    """Generate `applicants` rows in a fresh subprocess; return its figures plus wall time and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="credit-scoring-bench-", dir=tmp_root) as folder:
        figures, run = run_child(
            [sys.executable, "-c", CHILD, str(applicants), str(seed), folder],
            f"generation of {applicants:,} applicants failed",
        )
    figures.update(
        applicants=applicants,
        seed=seed,
        wall_seconds=round(run.wall_seconds, 2),
        peak_rss_mb=round(run.peak_rss_mb, 1),
    )
    return figures


def render(results: list[dict], console: Console) -> None:
    table = Table(title="credit-scoring generate benchmark", header_style="bold")
    table.add_column("")
    for res in results:
        table.add_column(f"{res['applicants']:,} applicants", justify="right")
    table.add_row("wall time (fresh process)", *(f"{r['wall_seconds']:.1f} s" for r in results))
    table.add_row("generator time", *(f"{r['generator_seconds']:.1f} s" for r in results))
    table.add_row("peak RSS", *(f"{r['peak_rss_mb']:,.0f} MiB" for r in results))
    table.add_row(
        "written", *(f"{r['bytes_written'] / 2**20:,.0f} MiB in {r['files']} files" for r in results)
    )
    table.add_section()
    tables = list(dict.fromkeys(name for r in results for name in r["row_counts"]))
    for name in tables:
        table.add_row(f"rows: {name}", *(f"{r['row_counts'].get(name, 0):,}" for r in results))
    table.add_section()
    table.add_row("default rate", *(f"{r['default_rate']:.2%}" for r in results))
    table.add_row("oracle ROC AUC", *(f"{r['oracle_auc']:.4f}" for r in results))
    console.print(table)
    console.print(f"[dim]{machine_note()}[/]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sizes(
        parser,
        DEFAULT_SIZES,
        minimum=100,
        help=f"comma-separated applicant counts (default: {','.join(map(str, DEFAULT_SIZES))})",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument(
        "--tmp-dir", default=None, help="where the temporary output folders go (default: $TMPDIR)"
    )
    args = parser.parse_args(argv)

    status = Console(stderr=True)
    results = []
    for size in args.sizes:
        status.print(f"[dim]generating {size:,} applicants in a fresh process...[/]")
        results.append(run_one(size, args.seed, args.tmp_dir))
    print_results(results, args.json, lambda runs: render(runs, Console()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
