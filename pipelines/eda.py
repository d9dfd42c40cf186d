"""Stage `eda`: the EDA HTML report (logic in credit_scoring.stages.eda)."""

import sys

from credit_scoring.stages.eda import main

if __name__ == "__main__":
    sys.exit(main())
