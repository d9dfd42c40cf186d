"""Stage `ingest`: raw CSVs -> validated, typed Parquet + report.json (logic in credit_scoring.data.ingest)."""

import sys

from credit_scoring.data.ingest import ingest
from credit_scoring.stages.runner import main

if __name__ == "__main__":
    sys.exit(main("ingest", ingest))
