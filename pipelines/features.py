"""Stage `features`: train / valid / test / production modelling tables (logic in credit_scoring.stages.features)."""

import sys

from credit_scoring.stages.features import main

if __name__ == "__main__":
    sys.exit(main())
