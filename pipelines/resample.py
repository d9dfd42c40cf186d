"""Stage `resample`: rebalance the training split only (logic in credit_scoring.stages.resample)."""

import sys

from credit_scoring.stages.resample import main

if __name__ == "__main__":
    sys.exit(main())
