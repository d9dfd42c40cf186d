"""Stage `features`: train / valid / test / production modelling tables (logic in credit_scoring.features)."""

import sys

from credit_scoring.features import features_stage
from credit_scoring.stage import main

if __name__ == "__main__":
    sys.exit(main("features", features_stage))
