"""Benchmark of the PD validation battery: DeLong's AUC interval, the paired DeLong test and the whole
`validate_scores` (master scale, calibration tests, DeLong, KS, Herfindahl) on N rows of random scores.
The IV table (optbinning) is not timed here: it reads `validation.iv_max_rows` rows whatever N is.
Target: the whole battery under 2 s at 307,511 rows (the size of the real application_train.csv).

    uv run python benchmarks/validation.py                    # 61,503 and 307,511 rows
    uv run python benchmarks/validation.py --sizes 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from common import add_sizes, machine_note, met

GOAL_SECONDS = 2.0
FULL_SCALE = 307_511


def _timed(fn, *args) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    from credit_scoring.config import compose_config
    from credit_scoring.monitoring.validation import validate_scores
    from credit_scoring.stats.delong import auc_ci, paired_test

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sizes(parser, [61_503, FULL_SCALE], 100, "rows of scores")
    sizes = parser.parse_args().sizes
    cfg = compose_config()
    print(machine_note())
    for n in sizes:
        rng = np.random.default_rng(0)
        p = rng.beta(1.2, 12, n)
        y = (rng.uniform(size=n) < p).astype(int)
        other = np.clip(p + rng.normal(0, 0.02, n), 0, 1)
        t_auc = _timed(auc_ci, y, p)
        t_paired = _timed(paired_test, y, p, other)
        t_all = _timed(validate_scores, y, p, cfg.validation, cfg.evaluation.calibration_bins)
        goal = (
            f"goal < {GOAL_SECONDS:.0f} s at {FULL_SCALE:,}: {met(t_all < GOAL_SECONDS)}"
            if n >= FULL_SCALE
            else ""
        )
        print(
            f"{n:>10,} rows: auc_ci {t_auc:.3f} s, paired_test {t_paired:.3f} s, validate_scores {t_all:.3f} s  {goal}"
        )


if __name__ == "__main__":
    main()
