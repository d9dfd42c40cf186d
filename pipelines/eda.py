"""Stage `eda`: the EDA HTML report (logic in credit_scoring.reporting.eda)."""

import sys

from credit_scoring.reporting.eda import eda_stage
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("eda", eda_stage))
