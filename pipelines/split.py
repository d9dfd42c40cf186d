"""Stage `split`: train / valid / test ids, drawn once (logic in credit_scoring.data.split)."""

import sys

from credit_scoring.data.split import split_stage
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("split", split_stage))
