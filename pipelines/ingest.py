"""Stage `ingest`: raw CSVs -> validated, typed Parquet + report.json (logic in credit_scoring.stages.ingest)."""

import sys

from credit_scoring.stages.ingest import main

if __name__ == "__main__":
    sys.exit(main())
