"""The `validate` stage: the PD validation report of the champion (reports/validation/validation.{json,html}).

Development population: the held-out test split, scored by the champion (the master scale, calibration and
DeLong figures); the IV table bins the champion's most important features on a seeded sample of the
training split. Production population: the features stage's production table, scored by the champion
(grade PSI and concentration); when its outcomes have arrived (the generator's oracle, as in the `monitor`
stage's "labels arrive" path) the battery runs again on the labelled rows, with DeLong's test of their AUC
against the development AUC. A dataset without a production table has no production section.
The JSON holds no timestamp: the same champion on the same data gives the same bytes. Both files are
logged to the champion's MLflow run (`tracking.validation_run`), and the index lists the page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.config import Config
from credit_scoring.errors import InputDataError
from credit_scoring.io.catalog import Catalog
from credit_scoring.monitoring.index import write_index
from credit_scoring.monitoring.performance import labelled_batch
from credit_scoring.monitoring.populations import (
    Population,
    check_features,
    default_labels,
    features_population,
    read_labels,
)
from credit_scoring.monitoring.validation import headline, iv_table, production_section, validate_scores
from credit_scoring.monitoring.validation_report import render_validation
from credit_scoring.tracking.champion import ChampionRef, load_pipeline, require_champion
from credit_scoring.tracking.train_run import RUN_KEY_TAG

Log = Callable[[str], None]


def _champion(cfg: Config) -> tuple[ChampionRef, Any]:
    from mlflow.tracking import MlflowClient

    from credit_scoring.tracking.store import tracking_uri, use_tracking_uri

    uri = tracking_uri(cfg.registry)
    use_tracking_uri(uri)
    ref = require_champion(MlflowClient(uri, uri), cfg.registry, uri)
    return ref, load_pipeline(ref.version_uri)[1]


def _population(cfg: Config, pipeline: Any, part: str) -> Population:
    ds, entry = cfg.dataset, Catalog(cfg.paths).features_part(part)
    present = entry.columns()
    features = list(pipeline.feature_names)
    check_features(present, features, entry.path)
    wanted = [ds.id, *features, *([ds.target] if ds.target in present else [])]
    return features_population(
        entry.read(columns=list(dict.fromkeys(wanted))), pipeline, ds, part, str(entry.path)
    )


def _iv(cfg: Config, features: list[str]) -> dict[str, Any]:
    """The IV table of the champion's `iv_top_features` most important features on training-split rows."""
    v, ds, catalog = cfg.validation, cfg.dataset, Catalog(cfg.paths)
    importance = catalog.importance.read_optional()
    if importance is not None and {"feature", "importance"} <= set(importance.columns):
        ranked = importance.sort_values(["importance", "feature"], ascending=[False, True])["feature"]
        chosen = [f for f in ranked if f in set(features)][: v.iv_top_features]
    else:
        chosen = features[: v.iv_top_features]
    train = catalog.features_part("train").read(columns=[*chosen, ds.target])
    if len(train) > v.iv_max_rows:
        train = train.sample(n=v.iv_max_rows, random_state=v.seed)
    table = iv_table(train, train[ds.target].to_numpy(), chosen, v.seed)
    return {"rows": len(train), "table": table.to_dict(orient="records")}


def _labelled(cfg: Config, prod: Population) -> tuple[np.ndarray, np.ndarray] | None:
    """(y, pd) of the production rows whose outcomes arrived (the oracle of the dataset), None otherwise."""
    ds = cfg.dataset
    labels = default_labels(Path(cfg.paths.oracle), ds)
    if labels is None:
        return None
    joined = labelled_batch(pd.DataFrame({ds.id: prod.ids, "score": prod.score}), read_labels(labels, ds.id, ds.target),
                            ds.id, ds.target, "score")  # fmt: skip
    return (joined["y"].to_numpy(), joined["p"].to_numpy()) if len(joined) else None


def build_document(cfg: Config, ref: ChampionRef, pipeline: Any, log: Log) -> dict[str, Any]:
    """The validation document of the champion (`monitoring.validation` on its populations)."""
    ev, v = cfg.evaluation, cfg.validation
    test = _population(cfg, pipeline, "test")
    if test.target is None:
        raise InputDataError(
            f"{Catalog(cfg.paths).features_part('test').path}: no {cfg.dataset.target} column"
        )
    development = validate_scores(test.target, test.score, v, ev.calibration_bins)
    log(f"test split {len(test.ids):,} rows: ROC AUC {development['discrimination']['roc_auc']['auc']:.4f}, "
        f"lights {development['lights']}")  # fmt: skip
    doc: dict[str, Any] = {
        "model": {
            "name": ref.name,
            "version": ref.version,
            # the run key, not the MLflow run id or a time: the same inputs give the same bytes (its MLflow
            # run and registration time are in the registry, and the report is logged to that run)
            "run_key": ref.tags.get(RUN_KEY_TAG),
        },
        "dataset": cfg.dataset.name,
        "test_name": "test split",
        "test": development,
        "production": None,
    }
    if cfg.dataset.production_table is not None:
        prod = _population(cfg, pipeline, "production")
        doc["production"] = production_section(
            development,
            test.score,
            prod.score,
            v,
            cfg.monitoring.psi,
            ev.calibration_bins,
            _labelled(cfg, prod),
        )
        log(f"production {len(prod.ids):,} rows: grade PSI {doc['production']['grade_psi']['psi']:.4f}"
            + (" (labelled rows validated)" if doc["production"]["labelled"] else ""))  # fmt: skip
    doc["iv"] = _iv(cfg, list(pipeline.feature_names))
    return doc


def run(cfg: Config, log: Log = print) -> dict[str, Any]:
    """Build the report of the champion, write it through the catalog, log it to the champion's run."""
    from credit_scoring.tracking.validation_run import log_validation

    catalog = Catalog(cfg.paths)
    ref, pipeline = _champion(cfg)
    doc = build_document(cfg, ref, pipeline, log)
    with catalog.staging("validation") as staging:
        catalog.validation_json.write(doc, staging)
        catalog.validation_html.write(render_validation(doc), staging)
    files = [catalog.validation_json.path, catalog.validation_html.path]
    log_validation(ref, files, headline(doc))
    write_index(Path(cfg.monitoring.report.reports_dir))
    log(f"wrote {catalog.validation_html.path}; logged to the champion's run {ref.run_id}")
    return doc


def main(argv: list[str] | None = None) -> int:
    """``python pipelines/validate.py [--params FILE] [KEY=VALUE ...]``."""
    from credit_scoring.stages.runner import run_main

    return run_main("validate", run, argv)
