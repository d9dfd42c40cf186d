"""Stage `resample`: rebalance the training split only (logic in credit_scoring.modelling.resampling)."""

import os
import sys

# OpenMP threads (LightGBM, XGBoost, scikit-learn) sleep instead of spinning while they wait: on a shared,
# busy machine spinning threads slow a 2-thread fit down 10x or more. Set before any OpenMP library loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from credit_scoring.config.modelling_loader import run_stage
from credit_scoring.modelling.resampling import resample_stage

if __name__ == "__main__":
    sys.exit(run_stage("resample", resample_stage))
