"""Stage `train`: tuned model, calibration, threshold, evaluation, MLflow run (logic in credit_scoring.stages.train)."""

import sys

from credit_scoring.stages.train import main

if __name__ == "__main__":
    sys.exit(main())
