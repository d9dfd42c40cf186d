"""Data: reading raw CSVs against their declared schema and validating them (`tables`), the ingestion order and
table reports (`ingest`), the train / validation / test split (`split`), and inferring a dataset's YAML from
a bank's own CSVs (`infer`, `csv_sample`, `dataset_yaml`)."""
