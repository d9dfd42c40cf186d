"""Stage `monitor`: the champion's training population against production; drift report, model card, MLflow run (logic in credit_scoring.stages.monitor)."""

import sys

from credit_scoring.stages.monitor import main

if __name__ == "__main__":
    sys.exit(main())
