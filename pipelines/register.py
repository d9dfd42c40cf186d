"""Stage `register`: register the trained model and gate the champion alias (logic in credit_scoring.stages.register)."""

import os
import sys

# OpenMP threads (LightGBM, XGBoost, scikit-learn) sleep instead of spinning while they wait: on a shared,
# busy machine spinning threads slow a 2-thread fit down 10x or more. Set before any OpenMP library loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from credit_scoring.config.modelling_loader import run_stage
from credit_scoring.stages.register import register_stage

if __name__ == "__main__":
    sys.exit(run_stage("register", register_stage))
