"""The whole inference pipeline in one object, and the MLflow pyfunc that serves it.

Input ("raw applicant rows"): the applicant-level merged table, i.e. the application columns (as in
application_test, raw CSV values such as Y/N flags accepted) plus the merge stage's side-table aggregates.
Missing columns are allowed and read as missing values (a new client has no side-table history); extra
columns (the target, ...) are ignored. Output: one row per input row with `probability` (calibrated
probability of default), `decision` (1 = refuse) and `threshold`.

Steps, all fitted on the training split: typing of the application columns and the domain features
(`credit_scoring.data.tables` / `credit_scoring.features.tables`, the data stages' own functions), categorical encoding
(their `CategoricalEncoder`), the resampling imputer when the model was trained on imputed rows, the model
(a numpy matrix to the booster), the calibrator, the threshold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer

from credit_scoring.config import ColumnType, DatasetConfig, FeaturesConfig, TableConfig
from credit_scoring.data.tables import validate_table
from credit_scoring.errors import InputDataError
from credit_scoring.features.encoding import encoder_from_config
from credit_scoring.features.tables import application_features
from credit_scoring.modelling.calibration import Calibrator
from credit_scoring.modelling.costs import decisions
from credit_scoring.modelling.models import MATRIX_DTYPE, FittedModel
from credit_scoring.scoring.plan import SMALL_BATCH, ColumnPlan, Unrecognised

PROBABILITY, DECISION, THRESHOLD = "probability", "decision", "threshold"
INPUT_NAME = "scoring input"  # how validation errors name the input


def application_table(ds: DatasetConfig) -> TableConfig:
    """Declared columns of an application row at scoring time (the production table, else the train table;
    the target is never read), with no key checks: the same client may be scored twice in one batch."""
    table = ds.tables[ds.production_table if ds.production_table is not None else ds.train_table]
    return dataclasses.replace(table, key=[], references=[])


def side_matrix(side: pd.DataFrame) -> np.ndarray:
    """The side features as float64 (missing as NaN); a column holding something else than numbers is an
    error naming it."""
    try:
        return side.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError):
        bad = [
            c for c in side.columns if pd.to_numeric(side[c], errors="coerce").isna().gt(side[c].isna()).any()
        ]
        raise InputDataError(
            f"{INPUT_NAME}: side feature column{'s' if len(bad) > 1 else ''} {', '.join(bad[:10]) or '?'} "
            "must hold numbers"
        ) from None


class ApplicantPreprocessor(BaseEstimator, TransformerMixin):
    """Raw applicant rows -> the model's feature matrix, exactly as the features stage builds it.

    `fit` learns, on raw rows of the training split, which columns are application columns (declared in the
    dataset config) and which are side features (the rest), and fits the data stages' categorical encoder on
    the application columns plus domain features. `transform_matrix` types the application columns, adds the
    domain features, encodes them, and appends the side columns: float features in the training column order
    (encoded application features, then side features), rows in input order.
    """

    def __init__(self, dataset: DatasetConfig, features: FeaturesConfig) -> None:
        self.dataset = dataset
        self.features = features

    def fit(
        self, X: pd.DataFrame, y: Any = None, side_columns: list[str] | None = None
    ) -> ApplicantPreprocessor:
        """Learn the columns and the encoder from raw training rows.

        side_columns: the side features, in order, when X holds the application columns only (the encoder
        never reads side features, so the training rows need not carry them); by default, every column of X
        that is not a declared application column.
        """
        ds = self.dataset
        declared = application_table(ds).types
        self.application_columns_ = [c for c in X.columns if c in declared and c != ds.target]
        self.application_columns_ += [c for c in declared if c not in X.columns and c != ds.target]
        known = {ds.id, ds.target, *self.application_columns_}
        if not self.features.side_features:
            self.side_columns_ = []
        elif side_columns is not None:
            self.side_columns_ = [c for c in side_columns if c != ds.id]
        else:
            self.side_columns_ = [c for c in X.columns if c not in known]
        self.encoder_ = encoder_from_config(self.features).fit(self._application(X))
        self.feature_names_out_ = [*self.encoder_.feature_names_out_, *self.side_columns_]
        return self

    def _application(self, X: pd.DataFrame) -> pd.DataFrame:
        """Typed application columns + sentinel flags and domain features (the data stages' functions)."""
        ds = self.dataset
        app = X.reindex(columns=self.application_columns_)
        app[ds.id] = np.arange(len(X), dtype="int64")  # the id is no feature; positions keep it unique
        typed = validate_table(app, application_table(ds), file=INPUT_NAME, examples=ds.error_examples)
        return application_features(typed, ds, self.features).drop(columns=[ds.id])

    def _declared(self) -> dict[str, ColumnType]:
        """Declared types of the application columns (the scoring-time table)."""
        return application_table(self.dataset).types

    def column_plan(self) -> ColumnPlan | None:
        """The precomputed column plan of this fitted preprocessor (None: its columns need the reference
        path), built on first use and kept out of the pickle."""
        if not hasattr(self, "_plan"):
            try:
                self._plan: ColumnPlan | None = ColumnPlan(self)
            except (KeyError, ValueError):
                self._plan = None
        return self._plan

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_plan", None)
        return state

    def transform_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Feature matrix (float_dtype, training column order), one row per input row, in input order.

        The column plan's numpy kernels (`scoring.plan`), and the reference path for any input the plan
        does not recognise (which also raises the precise errors): the same numbers either way.
        """
        plan = self.column_plan()
        fast = plan.matrix(X) if plan is not None else None
        return fast if fast is not None else self.reference_matrix(X)

    def columns_matrix(self, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """`transform_matrix` of n rows given column by column (name -> n values, see `columns_of`): a few
        rows are read by the column plan without building a frame of ~700 columns; the same numbers as
        `transform_matrix` of `pd.DataFrame(columns)`, which any other input goes through."""
        plan = self.column_plan()
        if plan is not None and 0 < n <= SMALL_BATCH:
            try:
                fast = plan.matrix_of_read(*plan.read_values(plan.read_columns(columns, n)))
            except Unrecognised:
                fast = None
            if fast is not None:
                return fast
        return self.transform_matrix(pd.DataFrame(dict(columns)))

    def reference_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """`transform_matrix` by the data stages' own functions (validator, domain features, encoder).

        Same numbers as the features stage's `model_table` (through float64, infinities as missing), built
        as one matrix instead of column by column; the train stage checks on the test split that both agree.
        """
        encoded = self.encoder_.transform(self._application(X)).to_numpy(dtype="float64", na_value=np.nan)
        side = side_matrix(X.reindex(columns=self.side_columns_))
        values = np.hstack([encoded, side]) if self.side_columns_ else encoded
        values[np.isinf(values)] = np.nan
        return values.astype(self.features.float_dtype)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Feature frame (float, training column order), one row per input row, index of X."""
        return pd.DataFrame(self.transform_matrix(X), columns=self.feature_names_out_, index=X.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)


@dataclasses.dataclass
class ScoringPipeline:
    """Preprocessing, optional imputer, model, calibrator and threshold: raw rows in, decisions out."""

    preprocessor: ApplicantPreprocessor
    imputer: SimpleImputer | None
    model: FittedModel
    calibrator: Calibrator
    threshold: float

    @property
    def feature_names(self) -> list[str]:
        return self.preprocessor.feature_names_out_

    def features_of_rows(self, rows: pd.DataFrame) -> np.ndarray:
        """float32 feature rows (training column order, before imputation) of raw applicant rows."""
        return self.preprocessor.transform_matrix(rows).astype(MATRIX_DTYPE, copy=False)

    def impute(self, X: np.ndarray) -> np.ndarray:
        """Rows imputed like the training rows (when the model was trained on imputed, resampled rows)."""
        return X if self.imputer is None else self.imputer.transform(X).astype(MATRIX_DTYPE)

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        """Model matrix of a frame of the features stage's tables (training column order)."""
        return self.impute(features[self.feature_names].to_numpy(dtype=MATRIX_DTYPE, na_value=np.nan))

    def probability_of_matrix(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability of default of prepared rows (one row: the model's small-batch path)."""
        return self.calibrator.transform(self.model.predict_score(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """SHAP contributions of prepared rows to the model's log-odds (the calibration is monotone: a
        contribution that raises the log-odds raises the probability)."""
        return self.model.contributions(X)

    def probability_of_features(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of rows of the features stage's tables (in-process pipeline)."""
        return self.probability_of_matrix(self.matrix(features))

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """probability, decision (1 = refuse) and threshold for raw applicant rows."""
        if len(rows) == 0:
            raise InputDataError(f"{INPUT_NAME}: no rows to score")
        return self.answers(self.features_of_rows(rows), rows.index)

    def features_of_columns(self, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """`features_of_rows` of n raw rows given column by column (name -> n values, see `columns_of`)."""
        return self.preprocessor.columns_matrix(columns, n).astype(MATRIX_DTYPE, copy=False)

    def predict_columns(self, columns: Mapping[str, Any]) -> pd.DataFrame:
        """`predict` of raw applicant rows given column by column (name -> values, MLflow's `inputs`)."""
        arrays, n = columns_of(columns)
        return self.answers(self.features_of_columns(arrays, n), pd.RangeIndex(n))

    def answers(self, features: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """probability, decision and threshold of feature rows (before imputation)."""
        p = self.probability_of_matrix(self.impute(features))
        return pd.DataFrame(
            {
                PROBABILITY: p,
                DECISION: decisions(p, self.threshold).astype("int64"),
                THRESHOLD: self.threshold,
            },
            index=index,
        )


def columns_of(columns: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    """Raw rows given column by column -> (name -> 1-D array, number of rows); a column of another length
    than the others, or no rows, is an error naming it."""
    arrays = {  # MLflow's server hands 1-D arrays already: kept as they are (no object copy per column)
        str(k): v if isinstance(v, np.ndarray) and v.ndim == 1 else np.asarray(v, dtype=object).reshape(-1)
        for k, v in columns.items()
    }
    lengths = {name: len(a) for name, a in arrays.items()}
    n = max(lengths.values(), default=0)
    if n == 0:
        raise InputDataError(f"{INPUT_NAME}: no rows to score")
    short = [name for name, k in lengths.items() if k != n]
    if short:
        raise InputDataError(
            f"{INPUT_NAME}: column {short[0]} has {lengths[short[0]]} value(s), the longest column {n}"
        )
    return arrays, n


class CreditScoringModel(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc around a `ScoringPipeline`: `load_model(...).predict(raw rows)`."""

    def __init__(self, pipeline: ScoringPipeline) -> None:
        self.pipeline = pipeline

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Raw applicant rows -> probability, decision (1 = refuse), threshold (one row per input row)."""
        if isinstance(model_input, Mapping):  # MLflow's `inputs` format: column name -> values
            return self.pipeline.predict_columns(model_input)
        rows = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return self.pipeline.predict(rows).reset_index(drop=True)
