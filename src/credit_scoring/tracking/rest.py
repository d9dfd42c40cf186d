"""The champion's REST endpoint: MLflow's scoring server (`mlflow models serve`, FastAPI/uvicorn) on the
version holding the alias, in this environment (`--env-manager local`), bound as `serving.rest` says.

POST /invocations with a JSON `inputs` (column name -> values: the fastest for a few rows),
`dataframe_split` or `dataframe_records` payload of raw applicant rows (application columns + side
aggregates, missing ones allowed) answers {"predictions": [{probability,
decision, threshold}, ...]}, the pyfunc's own output; GET /ping answers when the model is loaded.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from credit_scoring.config.serving import RestConfig
from credit_scoring.tracking.model_log import json_ready
from credit_scoring.tracking.store import ENV_REGISTRY_URI, ENV_TRACKING_URI

INVOCATIONS, PING = "/invocations", "/ping"


def serve_command(model_uri: str, rest: RestConfig) -> list[str]:
    """The `mlflow models serve` command line of a model (this interpreter's MLflow)."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "--model-uri",
        model_uri,
        "--env-manager",
        "local",
        "--host",
        rest.host,
        "--port",
        str(rest.port),
        "--workers",
        str(rest.workers),
        "--timeout",
        str(rest.timeout),
    ]


def serve_environment(tracking_uri: str, base: dict[str, str]) -> dict[str, str]:
    """`base` (the process environment) with the store the model URI is resolved in."""
    return {**base, ENV_TRACKING_URI: tracking_uri, ENV_REGISTRY_URI: tracking_uri}


def url(rest: RestConfig) -> str:
    return f"http://{rest.host}:{rest.port}"


def dataframe_split(rows: pd.DataFrame) -> str:
    """The JSON body of POST /invocations for raw applicant rows: missing values as null, numbers written
    exactly (Python's shortest round-trip repr, not pandas' 10 significant digits)."""
    ready = json_ready(rows)
    values = ready.to_numpy(dtype=object)
    values[pd.isna(values)] = None
    split = {"columns": [str(c) for c in ready.columns], "data": values.tolist()}
    return json.dumps({"dataframe_split": split}, allow_nan=False)


def columnar_inputs(rows: pd.DataFrame) -> str:
    """The JSON body of POST /invocations in MLflow's `inputs` format (column name -> values), the lighter
    one for a few rows: the scoring server passes the columns to the pyfunc as numpy arrays, which reads
    them without building a DataFrame of every column (`dataframe_split` builds one: most of a one-row
    call). Missing values as null, numbers written exactly."""
    ready = json_ready(rows)
    values = ready.to_numpy(dtype=object)
    values[pd.isna(values)] = None
    inputs = {str(c): values[:, j].tolist() for j, c in enumerate(ready.columns)}
    return json.dumps({"inputs": inputs}, allow_nan=False)
