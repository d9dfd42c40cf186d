"""The input datasets a training run logs: the same schema as MLflow's own inference, found without a pass
over every cell in Python."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
from mlflow.data.dataset_source_registry import resolve_dataset_source

from credit_scoring.tracking.runs import FrameDataset


def test_the_schema_is_mlflows_own() -> None:
    frame = pd.DataFrame(
        {
            "SK_ID_CURR": np.array([1, 2, 3], dtype="int64"),
            "TARGET": np.array([0, 1, 0], dtype="int8"),
            "AMT": [1.0, np.nan, 3.0],  # a missing value: not required
            "DAYS": np.array([-1.5, -2.0, -3.0], dtype="float32"),
            "FLAG": np.array([0, 1, 1], dtype="uint8"),
        }
    )
    source = resolve_dataset_source("/tmp/train.parquet")
    ours = FrameDataset(df=frame, source=source, targets="TARGET", name="train", digest="x")
    theirs = mlflow.data.from_pandas(frame, source="/tmp/train.parquet", targets="TARGET", name="train")
    assert ours.schema == theirs.schema
    assert [c.required for c in ours.schema.inputs] == [True, True, False, True, True]
    assert (
        ours.to_dict()["schema"] == theirs.to_dict()["schema"]
        and ours.source.to_json() == theirs.source.to_json()
    )
