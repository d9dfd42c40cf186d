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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype

from credit_scoring.config import ColumnType, Derived
from credit_scoring.data.tables import FLAG_VALUES
from credit_scoring.features.derived import derived_values
from credit_scoring.features.encoding import UNSEEN_CODE

if TYPE_CHECKING:
    from credit_scoring.scoring.pipeline import ApplicantPreprocessor

SMALL_BATCH = 32  # up to this many rows, values are read one by one (Python), else column by column (numpy)
NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float", "boolean", "empty"})  # infer_dtype
TEXT_KINDS = frozenset({"string", "empty"})
FLAG_NUMBERS = {k: float(v) for k, v in FLAG_VALUES.items()}
NUMBER_TYPES = (float, int, np.floating, np.integer, bool, np.bool_)


class Unrecognised(Exception):
    """A value the plan does not type itself: the reference path decides (types it, or raises the error)."""


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _float(v: object, text: dict[str, float] | None) -> float:
    """One value as the validator types a number (text: the flags' texts, None: text is not a number)."""
    if _missing(v):
        return np.nan
    if isinstance(v, str):
        if text is None or v not in text:
            raise Unrecognised
        return text[v]
    if isinstance(v, NUMBER_TYPES):
        return float(v)
    raise Unrecognised


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


class ColumnPlan:
    """Precomputed columns and positions of a fitted preprocessor (built lazily: old pickles get one too).

    Number-like columns (int / float, flags, then sentinel flags and domain features) are the columns of one
    float64 work matrix; categories are level indexes (-1: unseen) with a missing mask; the output positions
    of pass-through, one-hot and ordinal features are index arrays, so the matrix is a few assignments.
    """

    def __init__(self, pre: ApplicantPreprocessor) -> None:
        ds, enc = pre.dataset, pre.encoder_
        types = {c: t for c, t in pre._declared().items() if c != ds.target}
        columns = [c for c in pre.application_columns_ if c != ds.id]
        self.numbers = [c for c in columns if types[c] in (ColumnType.int, ColumnType.float)]
        self.ints = np.array([types[c] is ColumnType.int for c in self.numbers], dtype=bool)
        self.flags = [c for c in columns if types[c] is ColumnType.flag]
        self.categories = [c for c in columns if types[c] is ColumnType.category]
        domain = bool(pre.features.domain)
        self.sentinels = list(ds.sentinels) if domain else []
        self.derived: list[Derived] = list(ds.domain_features) if domain else []
        self.side = list(pre.side_columns_)
        self.read_index = pd.Index(
            [*self.numbers, *self.flags, *self.categories, *self.side]
        )  # in this order
        self.float_dtype = pre.features.float_dtype
        self.width = len(enc.feature_names_out_)
        out = {name: j for j, name in enumerate(enc.feature_names_out_)}
        if any(c not in enc.levels_ for c in self.categories):
            raise ValueError("a declared category is not encoded")
        self.levels = {c: {level: i for i, level in enumerate(enc.levels_[c])} for c in self.categories}
        self.level_index = {c: pd.Index(enc.levels_[c], dtype=object) for c in self.categories}

        work = [*self.numbers, *self.flags]
        for sentinel in self.sentinels:
            if sentinel.column not in work:
                raise ValueError(f"sentinel column {sentinel.column} is not a number column")
            work += [sentinel.flag] if sentinel.flag else []
        for d in self.derived:
            if any(c not in work for c in d.inputs):
                raise ValueError(f"domain feature {d.name} uses a column that is not a number")
            work.append(d.name)
        self.work = {name: j for j, name in enumerate(work)}
        if len(self.work) != len(work):
            raise ValueError("a derived column repeats a column")

        cat = {c: k for k, c in enumerate(self.categories)}
        pass_out, pass_src, level_pos, base, nan_out, nan_src, ord_out, ord_src = ([] for _ in range(8))
        for col in enc.feature_names_in_:
            if col not in enc.levels_:
                pass_out.append(out[col])
                pass_src.append(self.work[col])  # KeyError: neither a number nor a category
            elif enc.method == "onehot":
                names = enc._indicator_names(col)
                base.append(len(level_pos))
                level_pos += [out[n] for n in names[: len(enc.levels_[col])]]
                if col in enc.nan_columns_:
                    nan_out.append(out[names[-1]])
                    nan_src.append(cat[col])
            else:
                ord_out.append(out[col])
                ord_src.append(cat[col])
        if enc.method == "onehot" and len(base) != len(self.categories):
            raise ValueError("the encoded categories are not the declared ones")
        as_index = lambda v: np.asarray(v, dtype=np.intp)  # noqa: E731
        self.pass_out, self.pass_src = as_index(pass_out), as_index(pass_src)
        self.level_pos, self.base = as_index(level_pos), as_index(base)
        self.nan_out, self.nan_src = as_index(nan_out), as_index(nan_src)
        self.ord_out, self.ord_src = as_index(ord_out), as_index(ord_src)
        self.onehot = enc.method == "onehot"

    # ---- reading the input: a few rows value by value ------------------------------------------------------
    def _read_small(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(work matrix with the numbers and flags as float64, category level indexes (-2: missing), side
        features) of few rows."""
        values = X.to_numpy(dtype=object)
        values = np.concatenate([values, np.full((len(X), 1), np.nan, dtype=object)], axis=1)
        where = X.columns.get_indexer(
            self.read_index
        )  # duplicated input columns raise: the reference says so
        where[where < 0] = values.shape[1] - 1  # a column absent from the input: missing
        return self.read_values(values[:, where])

    def read_columns(self, columns: Mapping[str, Any], n: int) -> np.ndarray:
        """The read columns of n rows given column by column (name -> n values; absent: missing) as one
        object array, as `_read_small` reads a frame of them."""
        got = np.full((n, len(self.read_index)), np.nan, dtype=object)
        for j, name in enumerate(self.read_index):
            if name in columns:
                got[:, j] = columns[name]
        return got

    def read_values(self, got: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_read_small` of the object array of the read columns (`read_index` order)."""
        n = len(got)
        n_num, n_flag, n_cat = len(self.numbers), len(self.flags), len(self.categories)
        work = np.empty((n, len(self.work)), dtype="float64")
        work[:, :n_num] = [[_float(v, None) for v in row] for row in got[:, :n_num]]
        work[:, n_num : n_num + n_flag] = [
            [_float(v, FLAG_NUMBERS) for v in row] for row in got[:, n_num : n_num + n_flag]
        ]
        codes = np.empty((n, n_cat), dtype=np.intp)
        for k, col in enumerate(self.categories):
            lookup = self.levels[col]
            for i, v in enumerate(got[:, n_num + n_flag + k]):
                if _missing(v):
                    codes[i, k] = -2
                elif isinstance(v, str):
                    codes[i, k] = lookup.get(v, -1)
                else:
                    raise Unrecognised
        side = got[:, n_num + n_flag + n_cat :]  # as the reference reads them: DataFrame.to_numpy(float64)
        side[pd.isna(side)] = np.nan
        try:
            side = side.astype("float64")
        except (TypeError, ValueError):
            raise Unrecognised from None
        return work, codes, side

    # ---- reading the input: a batch column by column -------------------------------------------------------
    def _read_large(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_read_small` of a batch, with numpy per block or column."""
        block = X.reindex(columns=self.numbers)
        for col, dtype in zip(self.numbers, block.dtypes, strict=True):
            if not (_numeric_ok(block[col]) if dtype.kind == "O" else _number_dtype(dtype)):
                raise Unrecognised
        n_num = len(self.numbers)
        work = np.empty((len(X), len(self.work)), dtype="float64")
        work[:, :n_num] = block.to_numpy(dtype="float64", na_value=np.nan)
        for k, col in enumerate(self.flags):
            work[:, n_num + k] = self._flag(X[col]) if col in X.columns else np.nan
        codes = np.empty((len(X), len(self.categories)), dtype=np.intp)
        absent = pd.Series(np.full(len(X), np.nan))
        for k, col in enumerate(self.categories):
            codes[:, k] = self._codes(col, X[col] if col in X.columns else absent)
        side = X.reindex(columns=self.side)
        if any(dtype.kind == "O" and not _numeric_ok(side[c]) for c, dtype in side.dtypes.items()):
            raise Unrecognised
        return work, codes, side.to_numpy("float64", na_value=np.nan)

    def _flag(self, s: pd.Series) -> np.ndarray:
        if _numeric_ok(s):
            return s.to_numpy(dtype="float64", na_value=np.nan)
        if s.dtype == object and infer_dtype(s, skipna=True) in TEXT_KINDS:
            return np.array([_float(v, FLAG_NUMBERS) for v in s.to_numpy(dtype=object)], dtype="float64")
        raise Unrecognised

    def _codes(self, col: str, s: pd.Series) -> np.ndarray:
        """Level indexes (-1 unseen, -2 missing) of a category column, as the encoder reads its text."""
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = s.cat.categories
            if infer_dtype(cats, skipna=True) not in TEXT_KINDS:
                raise Unrecognised
            of_category = np.array([*self.level_index[col].get_indexer(cats), -2], dtype=np.intp)
            return of_category[s.cat.codes.to_numpy()]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            values = s.to_numpy(dtype=object)
            if s.dtype == object and infer_dtype(values, skipna=True) not in TEXT_KINDS:
                raise Unrecognised
            return np.where(pd.isna(values), -2, self.level_index[col].get_indexer(values))
        if _numeric_ok(s) and s.isna().all():  # a column absent from the input: all missing
            return np.full(len(s), -2, dtype=np.intp)
        raise Unrecognised

    # ---- the matrix -----------------------------------------------------------------------------------------
    def matrix(self, X: pd.DataFrame) -> np.ndarray | None:
        """The feature matrix (float_dtype) of raw rows, or None when a value needs the reference path."""
        n = len(X)
        if n == 0:
            return None
        try:
            read = self._read_small(X) if n <= SMALL_BATCH else self._read_large(X)
        except Unrecognised:
            return None
        return self.matrix_of_read(*read)

    def matrix_of_read(self, work: np.ndarray, codes: np.ndarray, side: np.ndarray) -> np.ndarray | None:
        """The feature matrix of read rows (`_read_small` / `_read_large`), or None when a value needs the
        reference path.

        Built in float_dtype directly: the infinities the reference turns into missing values (in
        float64, before its cast) are found in the float64 pass-through and side values, which are then
        cast on assignment exactly as `astype` casts."""
        n, n_num = len(work), len(self.numbers)
        numbers = work[:, :n_num]
        if np.isinf(numbers).any():
            return None
        ints = numbers[:, self.ints]
        if (np.floor(ints) != ints)[~np.isnan(ints)].any():
            return None
        flags = work[:, n_num : n_num + len(self.flags)]
        if not ((flags == 0) | (flags == 1) | np.isnan(flags)).all():
            return None
        for sentinel in self.sentinels:
            j = self.work[sentinel.column]
            hit = work[:, j] == float(sentinel.value)
            work[hit, j] = np.nan
            if sentinel.flag:
                work[:, self.work[sentinel.flag]] = hit
        for d in self.derived:
            work[:, self.work[d.name]] = derived_values(work[:, [self.work[c] for c in d.inputs]], d)
        out = np.zeros((n, self.width + len(self.side)), dtype=self.float_dtype)
        passed = work[:, self.pass_src]  # a copy
        passed[np.isinf(passed)] = np.nan
        out[:, self.pass_out] = passed
        missing = codes == -2
        if self.onehot:
            rows, k = np.nonzero(codes >= 0)
            out[rows, self.level_pos[self.base[k] + codes[rows, k]]] = 1.0
            out[:, self.nan_out] = missing[:, self.nan_src]
        else:
            ordinal = codes[:, self.ord_src].astype("float64")
            ordinal[codes[:, self.ord_src] == -1] = UNSEEN_CODE
            ordinal[missing[:, self.ord_src]] = np.nan
            out[:, self.ord_out] = ordinal
        if self.side:
            infinite = np.isinf(side)
            out[:, self.width :] = np.where(infinite, np.nan, side) if infinite.any() else side
        return out
