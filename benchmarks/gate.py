"""Benchmark of the champion gate's paired comparison (`modelling.paired.paired_bootstrap`): the bootstrap of
the cost difference and DeLong's AUC test on test splits of the Home Credit size, in this process.

    uv run python benchmarks/gate.py [--sizes 10000,61503] [--resamples 1000]

Goal: under 5 s for the full data's test split (61,503 rows, 20 % of 307,511) with 1,000 resamples, so that
the register stage's decision stays small beside loading the two models.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from common import add_sizes, machine_note, met
from credit_scoring.config.modelling import CostConfig
from credit_scoring.modelling.costs import decisions, row_costs
from credit_scoring.modelling.paired import paired_bootstrap

GOAL_SECONDS = 5.0
FULL_TEST_ROWS = 61_503


def measure(n: int, resamples: int) -> float:
    rng = np.random.default_rng(0)
    risk = rng.normal(-2.5, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype("int64")
    a = 1 / (1 + np.exp(-(risk + rng.normal(0, 1.0, n))))
    b = 1 / (1 + np.exp(-(risk + rng.normal(0, 1.1, n))))
    cost = CostConfig(false_negative=10.0, false_positive=1.0)
    ca, cb = row_costs(y, decisions(a, 0.1), cost), row_costs(y, decisions(b, 0.1), cost)
    start = time.perf_counter()
    paired_bootstrap(y, ca, cb, a, b, confidence=0.95, resamples=resamples, seed=0)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sizes(parser, [10_000, FULL_TEST_ROWS], 100, "test rows")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    for n in args.sizes:
        seconds = measure(n, args.resamples)
        goal = f"goal < {GOAL_SECONDS:.0f} s at {FULL_TEST_ROWS:,} rows: {met(seconds < GOAL_SECONDS)}"
        print(
            f"{n:>8,} rows x {args.resamples} resamples: {seconds:6.2f} s   ({goal if n >= FULL_TEST_ROWS else 'no goal'})"
        )
    print(machine_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
