"""Stage `register`: register the trained model and gate the champion alias (logic in credit_scoring.stages.register)."""

import sys

from credit_scoring.stages.register import main

if __name__ == "__main__":
    sys.exit(main())
