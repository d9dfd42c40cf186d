"""Stage `split`: train / valid / test ids, drawn once (logic in credit_scoring.stages.split)."""

import sys

from credit_scoring.stages.split import main

if __name__ == "__main__":
    sys.exit(main())
