"""Serving the champion to the relationship managers' app (app/): everything the app asks, none of the
drawing.

Modules, each owning one thing: `access` (loopback, credentials from the environment, refusing a public
binding without them), `clients` (the production and known clients' raw rows), `champion` (one loaded
version, its card and what is precomputed for it), `requests` (client ids and field values parsed, the
what-if form's units, a row built from fields), `batch` (a CSV of applications scored), `context` (the
charts' data), `explain` (the plain-words reasons of SHAP contributions), `results` (a score in words,
error messages), `service` (`ScoringService`: the alias polled and swapped, requests delegated).

Scores and contributions are the logged pipeline's own (`ScoringPipeline` and the model protocol of
`credit_scoring.modelling.models`): the app shows what `mlflow.pyfunc.load_model(...)` returns.
"""
