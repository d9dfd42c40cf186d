"""A champion registered before the package was split by concern still loads and scores the same.

tests/data/legacy_champion is a logged pyfunc model made by commit 1df5723 (``make run`` on the default
dataset): its pickle names ``credit_scoring.inference``, ``credit_scoring.models``, ``credit_scoring.config``,
``credit_scoring.features``, ... `credit_scoring.legacy` answers those old paths with today's modules.
"""

from __future__ import annotations

import json
import pickle
import pickletools
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from credit_scoring.scoring.pipeline import ScoringPipeline

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy_champion"


def old_module_paths(pickled: bytes) -> set[str]:
    """Module names the pickle refers to (its GLOBAL / STACK_GLOBAL opcodes)."""
    seen: set[str] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, name: str):  # noqa: ANN201
            seen.add(module)
            return super().find_class(module, name)

    Recorder(__import__("io").BytesIO(pickled)).load()
    return seen


def test_the_fixture_uses_the_old_module_paths() -> None:
    """Guard of the test itself: the stored model really names modules that no longer exist as files."""
    pickled = (LEGACY / "python_model.pkl").read_bytes()
    assert any(op.name in ("STACK_GLOBAL", "GLOBAL") for op, _, _ in pickletools.genops(pickled))
    modules = old_module_paths(pickled)
    assert {"credit_scoring.inference", "credit_scoring.models", "credit_scoring.modelling_config"} <= modules
    package = Path(__file__).resolve().parents[3] / "src" / "credit_scoring"
    assert not (package / "inference.py").exists() and not (package / "models.py").exists()


def test_an_old_champion_loads_into_todays_classes_and_scores_the_same() -> None:
    model = mlflow.pyfunc.load_model(str(LEGACY))
    pipeline = model.unwrap_python_model().pipeline
    assert type(pipeline) is ScoringPipeline  # the same class object, not a copy under the old name
    example = json.loads((LEGACY / "input_example.json").read_text())
    rows = pd.DataFrame(example["data"], columns=example["columns"])
    expected = json.loads((LEGACY / "expected.json").read_text())
    out = model.predict(rows)
    np.testing.assert_allclose(out["probability"].to_numpy(), expected["probability"], rtol=0, atol=1e-9)
    assert out["decision"].tolist() == expected["decision"]
    assert float(out["threshold"].iloc[0]) == expected["threshold"]
