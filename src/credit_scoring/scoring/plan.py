"""The column plan of a fitted `ApplicantPreprocessor`: raw applicant rows -> feature matrix in numpy.

The reference path (`ApplicantPreprocessor.reference_matrix`) types the application columns with the data
stages' table validator (Arrow), adds the sentinel flags and domain features and encodes the categories in
pandas: ~120 columns one by one, most of a one-row call. `ColumnPlan` computes, once per fitted
preprocessor, where every application column goes (typed as a float, a flag or a category level index) and
where every encoded feature lands in the matrix, then builds the matrix with a few numpy operations:

* int / float columns: one float64 block (`DataFrame.to_numpy`); flags: 0/1 numbers or the data stages'
  texts (`FLAG_VALUES`: 0/1, Y/N); categories: the encoder's level index by a dict lookup (one row) or a
  hash index (a batch);
* sentinels, domain features (`features.derived.derived_values`, the features stage's own kernel) and the
  one-hot / ordinal codes exactly as `apply_sentinels` / `CategoricalEncoder.transform` compute them.

Identical numbers by construction, and only for inputs the plan recognises: any value the validator would
reject or type differently (an infinite number, a non-integer in an int column, an unknown flag text, text
in a numeric column, a number in a category column, an unusual dtype) makes `matrix` return None, and the
preprocessor takes the reference path, which raises the precise error (file, column, rows) or types it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype

from credit_scoring.config import ColumnType, Derived
from credit_scoring.data.tables import FLAG_VALUES
from credit_scoring.features.derived import derived_values

if TYPE_CHECKING:
    from credit_scoring.scoring.pipeline import ApplicantPreprocessor

SMALL_BATCH = 32  # up to this many rows, category levels are looked up value by value (dict), else hashed
NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float", "boolean", "empty"})  # infer_dtype
TEXT_KINDS = frozenset({"string", "empty"})
FLAG_NUMBERS = {k: float(v) for k, v in FLAG_VALUES.items()}
BAD = -2  # a level index that no value maps to: "not recognised, take the reference path"


def _number_dtype(dtype: object) -> bool:
    """numpy / pandas nullable ints, floats and booleans (what Arrow casts to float64 like numpy does)."""
    if isinstance(dtype, pd.CategoricalDtype | pd.StringDtype):
        return False
    return (is_numeric_dtype(dtype) or is_bool_dtype(dtype)) and getattr(dtype, "kind", "") != "c"


def _numeric_ok(s: pd.Series) -> bool:
    """A column the validator reads as numbers, exactly as numpy converts it to float64."""
    if s.dtype == object:
        return infer_dtype(s, skipna=True) in NUMBER_KINDS
    return _number_dtype(s.dtype)


@dataclass
class Encoded:
    """Where one encoder input column lands: one-hot (`positions` per level, `nan_position` or -1) or ordinal
    / pass-through (`positions[0]`)."""

    name: str
    positions: np.ndarray
    onehot: bool
    ordinal: bool
    nan_position: int


class ColumnPlan:
    """Precomputed columns and positions of a fitted preprocessor (built lazily: old pickles get one too)."""

    def __init__(self, pre: ApplicantPreprocessor) -> None:
        ds, enc = pre.dataset, pre.encoder_
        types = {c: t for c, t in pre._declared().items() if c != ds.target}
        columns = [c for c in pre.application_columns_ if c != ds.id]
        self.numbers = [c for c in columns if types[c] in (ColumnType.int, ColumnType.float)]
        self.ints = np.array([types[c] is ColumnType.int for c in self.numbers], dtype=bool)
        self.flags = [c for c in columns if types[c] is ColumnType.flag]
        self.categories = [c for c in columns if types[c] is ColumnType.category]
        self.domain = bool(pre.features.domain)
        self.sentinels = list(ds.sentinels) if self.domain else []
        self.derived: list[Derived] = list(ds.domain_features) if self.domain else []
        self.side = list(pre.side_columns_)
        self.float_dtype = pre.features.float_dtype
        out_index = {name: j for j, name in enumerate(enc.feature_names_out_)}
        self.width = len(enc.feature_names_out_)
        self.levels = {c: {level: i for i, level in enumerate(enc.levels_[c])} for c in self.categories}
        self.level_index = {c: pd.Index(enc.levels_[c], dtype=object) for c in self.categories}
        self.encoded: list[Encoded] = []
        for col in enc.feature_names_in_:
            if col in enc.levels_:
                if col not in self.levels:
                    raise ValueError(f"encoded column {col} is not a declared category")
                onehot = enc.method == "onehot"
                names = enc._indicator_names(col) if onehot else [col]
                nan_position = out_index[names[-1]] if onehot and col in enc.nan_columns_ else -1
                kept = names[: len(enc.levels_[col])] if onehot else names
                positions = np.array([out_index[n] for n in kept], dtype=np.intp)
                self.encoded.append(Encoded(col, positions, onehot, not onehot, nan_position))
            else:
                positions = np.array([out_index[col]], dtype=np.intp)
                self.encoded.append(Encoded(col, positions, False, False, -1))
        numeric = {*self.numbers, *self.flags}
        for s in self.sentinels:
            if s.column not in numeric:
                raise ValueError(f"sentinel column {s.column} is not a number column")
            numeric |= {s.flag} if s.flag else set()
        for d in self.derived:
            if any(c not in numeric for c in d.inputs):
                raise ValueError(f"domain feature {d.name} uses a column that is not a number")
            numeric.add(d.name)
        if any(e.name not in numeric for e in self.encoded if not (e.onehot or e.ordinal)):
            raise ValueError("an encoder input column is neither a number nor a category")

    # ---- typing ---------------------------------------------------------------------------------------------
    def _numbers(self, X: pd.DataFrame) -> np.ndarray | None:
        block = X.reindex(columns=self.numbers)
        for col, dtype in zip(self.numbers, block.dtypes, strict=True):
            if not (_numeric_ok(block[col]) if dtype.kind == "O" else _number_dtype(dtype)):
                return None
        values = block.to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(values).any():
            return None
        ints = values[:, self.ints]
        if (np.floor(ints) != ints)[~np.isnan(ints)].any():
            return None
        return values

    def _flag(self, s: pd.Series) -> np.ndarray | None:
        if _numeric_ok(s):
            x = s.to_numpy(dtype="float64", na_value=np.nan)
            return x if bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all()) else None
        if s.dtype == object and infer_dtype(s, skipna=True) in TEXT_KINDS:
            values = s.to_numpy(dtype=object)
            missing = pd.isna(values)
            out = np.array([FLAG_NUMBERS.get(v, np.inf) for v in values[~missing]], dtype="float64")
            if np.isinf(out).any():
                return None
            x = np.full(len(values), np.nan)
            x[~missing] = out
            return x
        return None

    def _codes(self, col: str, s: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
        """(level index, -1 unseen; missing mask) of a category column, as the encoder reads its text."""
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if infer_dtype(cats, skipna=True) not in TEXT_KINDS:
                return None
            lookup = self.levels[col]
            of_category = np.array([lookup.get(c, -1) for c in cats] + [-1], dtype=np.intp)
            codes = s.cat.codes.to_numpy()
            return of_category[codes], codes == -1
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            values = s.to_numpy(dtype=object)
            missing = pd.isna(values)
            if s.dtype == object and infer_dtype(values, skipna=True) not in TEXT_KINDS:
                return None
            if len(values) <= SMALL_BATCH:
                lookup = self.levels[col]
                codes = np.array(
                    [-1 if m else lookup.get(v, -1) for v, m in zip(values, missing, strict=True)]
                )
            else:
                codes = self.level_index[col].get_indexer(values)
            return codes.astype(np.intp, copy=False), missing
        if _numeric_ok(s) and s.isna().all():  # a column absent from the input: all missing
            return np.full(len(s), -1, dtype=np.intp), np.ones(len(s), dtype=bool)
        return None

    # ---- the matrix -----------------------------------------------------------------------------------------
    def matrix(self, X: pd.DataFrame) -> np.ndarray | None:
        """The feature matrix (float_dtype) of raw rows, or None when a value needs the reference path."""
        n = len(X)
        numbers = self._numbers(X)
        if numbers is None:
            return None
        values: dict[str, np.ndarray] = {c: numbers[:, j] for j, c in enumerate(self.numbers)}
        for col in self.flags:
            flag = self._flag(X[col]) if col in X.columns else np.full(n, np.nan)
            if flag is None:
                return None
            values[col] = flag
        codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for col in self.categories:
            got = (
                self._codes(col, X[col])
                if col in X.columns
                else self._codes(col, pd.Series(np.full(n, np.nan)))
            )
            if got is None:
                return None
            codes[col] = got
        for s in self.sentinels:
            hit = values[s.column] == float(s.value)
            values[s.column] = np.where(hit, np.nan, values[s.column])
            if s.flag:
                values[s.flag] = hit.astype("float64")
        for d in self.derived:
            values[d.name] = derived_values(np.column_stack([values[c] for c in d.inputs]), d)
        out = np.zeros((n, self.width + len(self.side)), dtype="float64")
        rows = np.arange(n)
        for e in self.encoded:
            if e.onehot:
                level, missing = codes[e.name]
                seen = level >= 0
                out[rows[seen], e.positions[level[seen]]] = 1.0
                if e.nan_position >= 0:
                    out[:, e.nan_position] = missing
            elif e.ordinal:
                level, missing = codes[e.name]
                x = level.astype("float64")
                x[missing] = np.nan
                out[:, e.positions[0]] = x
            else:
                out[:, e.positions[0]] = values[e.name]
        if self.side:
            out[:, self.width :] = X.reindex(columns=self.side).to_numpy(dtype="float64", na_value=np.nan)
        out[np.isinf(out)] = np.nan
        return out.astype(self.float_dtype)
