"""Stage `features`: train / valid / test / production modelling tables (logic in credit_scoring.features.tables)."""

import sys

from credit_scoring.features.tables import features_stage
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("features", features_stage))
