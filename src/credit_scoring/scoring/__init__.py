"""Scoring: only what a logged model needs to load and predict: raw applicant rows -> preprocessing ->
model -> calibrated probability -> decision, and the MLflow pyfunc around it (minimal imports)."""
