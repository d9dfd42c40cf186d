"""Stage `validate`: the champion's PD validation report (logic in credit_scoring.stages.validate)."""

import sys

from credit_scoring.stages.validate import main

if __name__ == "__main__":
    sys.exit(main())
