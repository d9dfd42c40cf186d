"""Stages: one module per DVC stage (ingest, merge, split, features, eda, resample, train, register, monitor),
each reading its inputs from the catalog, calling library code and writing its outputs to the catalog, and
`runner`, the one command-line runner they share (`pipelines/<stage>.py` calls the stage's `main`)."""

import os

# OpenMP threads (LightGBM, XGBoost, scikit-learn) sleep instead of spinning while they wait: on a shared, busy
# machine spinning threads slow a 2-thread fit down 10x or more. Set here, before any stage imports an OpenMP
# library.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
