"""Data: reading raw CSVs against their declared schema and validating them (`tables`), the ingestion order and
table reports (`ingest`), and the train / validation / test split (`split`)."""
