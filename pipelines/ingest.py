"""Stage `ingest`: raw CSVs -> validated, typed Parquet + report.json (logic in credit_scoring.ingest)."""

import sys

from credit_scoring.ingest import ingest
from credit_scoring.stage import main

if __name__ == "__main__":
    sys.exit(main("ingest", ingest))
