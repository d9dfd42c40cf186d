"""Stage `merge`: side tables aggregated per applicant -> side_features.parquet (logic in credit_scoring.stages.merge)."""

import sys

from credit_scoring.stages.merge import main

if __name__ == "__main__":
    sys.exit(main())
