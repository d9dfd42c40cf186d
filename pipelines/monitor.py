"""Stage `monitor`: the champion's training population against production; drift report, model card, MLflow run
(logic in credit_scoring.stages.monitor)."""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see pipelines/train.py

from credit_scoring.stages.monitor import monitor_stage
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("monitor", monitor_stage))
