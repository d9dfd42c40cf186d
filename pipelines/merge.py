"""Stage `merge`: side tables aggregated per applicant -> side_features.parquet (logic in credit_scoring.features.merge)."""

import sys

from credit_scoring.features.merge import merge
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("merge", merge))
