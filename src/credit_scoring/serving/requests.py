"""Requests in people's terms -> the rows the champion scores: client ids and field values parsed with a
message for people (`InputDataError`), the what-if form's fields in their shown units and back to raw
columns and units, and a raw applicant row built from given fields (over a known client's row, or empty)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_scoring.config import ColumnType
from credit_scoring.errors import InputDataError
from credit_scoring.serving.explain import CATEGORY, FLAG, NUMERIC

if TYPE_CHECKING:
    from credit_scoring.serving.champion import ChampionVersion

MAX_LISTED = 10  # column names listed in one error message
FLAG_TEXT = {"0": 0, "1": 1, "n": 0, "y": 1, "no": 0, "yes": 1, "false": 0, "true": 1, "0.0": 0, "1.0": 1}
YES, NO = "yes", "no"  # a flag in the what-if form
MAX_EXACT_FLOAT = 2**53  # larger whole floats are not exact: a long id given as a number would be rounded
DEFAULT_WHAT_IF_FIELDS = 10  # fields of the form when the configured ones are not in the dataset


# ---- values -------------------------------------------------------------------------------------------------
def parse_client_id(value: Any) -> int:
    """An integer client id from text or a number; InputDataError otherwise."""
    if isinstance(value, bool):
        raise InputDataError(f"client id {value!r} is not a whole number")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        if abs(value) > MAX_EXACT_FLOAT:
            raise InputDataError(f"client id {value!r} is too long to be exact as a number: enter it as text")
        return int(value)
    text = str(value if value is not None else "").strip()
    if not text:
        raise InputDataError("enter a client id (a whole number)")
    if text.lstrip("+-").isdigit():  # digits as they are: a float would round a long id
        return int(text)
    try:
        number = float(text)
    except ValueError:
        raise InputDataError(f"client id {text!r} is not a number (a client id is a whole number)") from None
    if not math.isfinite(number) or not number.is_integer():
        raise InputDataError(f"client id {text!r} is not a whole number")
    if abs(number) > MAX_EXACT_FLOAT:
        raise InputDataError(f"client id {text!r} is too long to be exact as a number: write its digits")
    return int(number)


def is_missing(value: Any) -> bool:
    """None, blank text, NaN / NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_value(column: str, kind: ColumnType, value: Any) -> Any:
    """A field's value as the pipeline reads it (float for numbers and flags, text for categories)."""
    if is_missing(value):
        return None if kind is ColumnType.category else np.nan
    if kind is ColumnType.category:
        return str(value).strip()
    if kind is ColumnType.flag:
        key = str(value).strip().lower() if not isinstance(value, bool) else str(value).lower()
        if key not in FLAG_TEXT:
            raise InputDataError(f"field {column}: {value!r} is not a yes/no value (use 1/0, Y/N or yes/no)")
        return float(FLAG_TEXT[key])
    if isinstance(value, bool):
        raise InputDataError(f"field {column}: {value!r} is not a number")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InputDataError(f"field {column}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise InputDataError(f"field {column}: {value!r} is not a finite number")
    if kind is ColumnType.int and not number.is_integer():
        raise InputDataError(f"field {column}: {value!r} is not a whole number")
    return number


def same(a: Any, b: Any) -> bool:
    """Form values equal (numbers compared as numbers, missing equal to missing)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return str(a) == str(b)


def listed(names: Sequence[str]) -> str:
    """The first names of a list, and how many more."""
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" (and {len(names) - MAX_LISTED} more)" if len(names) > MAX_LISTED else "")


# ---- fields of one champion ---------------------------------------------------------------------------------
@dataclass
class FieldInfo:
    """An editable field of the what-if form, in the unit shown to people."""

    column: str
    label: str
    kind: str  # numeric | flag | category
    unit: str
    choices: list[str]
    integer: bool


def field_types(v: ChampionVersion) -> dict[str, ColumnType]:
    """Accepted fields: the application columns (declared types) and the side features (numbers)."""
    types = {c: v.declared[c] for c in v.application_columns if c in v.declared}
    types.update({c: ColumnType.float for c in v.side_columns})
    return types


def edited_columns(
    v: ChampionVersion, fields: dict[str, Any]
) -> tuple[dict[str, np.ndarray], int | None, int | None]:
    """The given fields as typed 1-value columns (the id among them: missing for a new client), checked.

    Returns (columns, client id, store position of the base client or None).
    """
    if not isinstance(fields, dict):
        raise InputDataError("fields must be a JSON object of column names and values")
    id_col = v.ds.id
    types = field_types(v)
    unknown = sorted(k for k in fields if k not in types and k != id_col)
    if unknown:
        raise InputDataError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {listed(unknown)}: fields are the columns "
            f"of {application_table_name(v)} (and the side-table features)"
        )
    client_id: int | None = None
    position: int | None = None
    if not is_missing(fields.get(id_col)):
        client_id = parse_client_id(fields[id_col])
        position = v.store.find(client_id)
    edited = {c: parse_value(c, types[c], val) for c, val in fields.items() if c != id_col}
    edited[id_col] = float(client_id) if client_id is not None else np.nan
    columns = {
        c: np.array([val], dtype=object if types.get(c) is ColumnType.category else "float64")
        for c, val in edited.items()
    }
    return columns, client_id, position


def row_from_fields(
    v: ChampionVersion, fields: dict[str, Any]
) -> tuple[pd.DataFrame, int | None, int | None]:
    """A raw applicant row: the given fields over a known client's row (when the id is one) or empty.

    Returns (row, client id, store position of the base client or None).
    """
    columns, client_id, position = edited_columns(v, fields)
    # the known client's stored row (typed as the data stages wrote it, which the pipeline reads as such)
    # with the edited columns replaced; a new client is the given fields only (the others read as missing).
    # One frame of a few columns and one concat: a column-by-column build of ~700 columns costs ~60 ms.
    edits = pd.DataFrame(columns)
    if position is None:
        return edits, client_id, position
    base = v.store.rows(slice(position, position + 1))  # a slice: no take over ~700 columns
    kept = base.drop(columns=[c for c in edits.columns if c in base.columns])
    return pd.concat([kept, edits], axis=1), client_id, position


def columns_from_fields(
    v: ChampionVersion, fields: dict[str, Any]
) -> tuple[dict[str, np.ndarray], int | None, int | None]:
    """`row_from_fields` column by column (name -> one value): the stored client's columns
    (`ClientStore.columns_at`) with the given fields replacing theirs, no frame of ~700 columns built; the
    same values, so the same features (the what-if path of one row)."""
    edits, client_id, position = edited_columns(v, fields)
    if position is None:
        return edits, client_id, position
    return {**v.store.columns_at(position), **edits}, client_id, position


def application_table_name(v: ChampionVersion) -> str:
    """The file whose columns an application has (application_test.csv for Home Credit)."""
    return v.table.file


def what_if_columns(v: ChampionVersion, configured: Sequence[str], ranked: Sequence[str]) -> list[str]:
    """The form's columns: the configured application columns the champion reads; when none of them is in
    the dataset (another bank's tables), its most important raw application columns (`ranked`: most
    important first), as many as were configured (or DEFAULT_WHAT_IF_FIELDS)."""
    editable = {c for c in v.application_columns if c in v.declared and c not in (v.ds.id, v.ds.target)}
    kept = [c for c in dict.fromkeys(configured) if c in editable]
    if kept:
        return kept
    top = [c for c in dict.fromkeys(ranked) if c in editable]
    rest = [c for c in v.application_columns if c in editable and c not in top]
    return [*top, *rest][: len(configured) or DEFAULT_WHAT_IF_FIELDS]


def what_if_fields(v: ChampionVersion, columns: Sequence[str]) -> list[FieldInfo]:
    """The form's fields: application columns the champion reads (`what_if_columns`), in shown units."""
    levels = getattr(v.pipeline.preprocessor.encoder_, "levels_", {})
    kinds = {ColumnType.category: CATEGORY, ColumnType.flag: FLAG}
    out = []
    for column in columns:
        kind = v.declared.get(column)
        if kind is None or column not in v.application_columns:
            continue
        spec = v.labeller.spec(column)
        out.append(
            FieldInfo(
                column=column,
                label=v.labeller.label(column),
                kind=kinds.get(kind, NUMERIC),
                unit=spec.unit,
                choices=list(levels.get(column, [])) if kind is ColumnType.category else [],
                integer=kind is ColumnType.int and spec.scale == 1,
            )
        )
    return out


def shown_values(v: ChampionVersion, client_id: Any | None) -> dict[str, Any]:
    """The what-if fields of a client in shown units (None: missing, or a "not known" sentinel such as
    DAYS_EMPLOYED 365243); all None without a client."""
    if client_id is None or is_missing(client_id):
        return {f.column: None for f in v.form}
    _, position = v.store.locate(client_id)
    raw = v.store.app.iloc[position]
    sentinels = {(s.column, float(s.value)) for s in v.ds.sentinels}
    out: dict[str, Any] = {}
    for f in v.form:
        value = raw[f.column]
        if is_missing(value):
            out[f.column] = None
        elif f.kind == CATEGORY:
            out[f.column] = str(value)
        elif f.kind == FLAG:
            out[f.column] = YES if float(parse_value(f.column, ColumnType.flag, value)) == 1 else NO
        elif (f.column, float(value)) in sentinels:
            out[f.column] = None
        else:
            out[f.column] = round(float(v.labeller.shown(f.column, float(value))), 4)
    return out


def raw_fields(v: ChampionVersion, shown: dict[str, Any], base_id: Any | None = None) -> dict[str, Any]:
    """What-if form values (shown units) back to raw columns and units.

    With a base client, only the fields whose value differs from the client's shown value are returned
    (the others keep the client's exact raw values); without one, every field is.
    """
    base = shown_values(v, base_id) if base_id is not None else None
    out: dict[str, Any] = {}
    for f in v.form:
        if f.column not in shown:
            continue
        value = None if is_missing(shown[f.column]) else shown[f.column]
        if base is not None and same(value, base.get(f.column)):
            continue
        if f.kind == NUMERIC and value is not None:
            number = parse_value(f.label, ColumnType.float, value)
            raw = v.labeller.raw(f.column, number)
            out[f.column] = round(raw) if v.declared[f.column] is ColumnType.int else raw
        else:
            out[f.column] = value
    if base_id is not None:
        out[v.ds.id] = parse_client_id(base_id)
    return out


# ---- a typical client and the training range (the what-if form) -------------------------------------------
def _known_values(v: ChampionVersion, column: str) -> pd.Series:
    """The known clients' raw values of a column, "not known" sentinels (DAYS_EMPLOYED 365243) dropped."""
    values = v.store.app[column].iloc[v.store.known_positions()].dropna()
    for s in v.ds.sentinels:
        if s.column == column:
            values = values[pd.to_numeric(values, errors="coerce") != float(s.value)]
    return values


def typical_values(v: ChampionVersion) -> dict[str, Any]:
    """A typical new client in shown units: the median of the known clients for a number, the most frequent
    level or answer for a category or a flag (None when no known client has the field)."""
    out: dict[str, Any] = {}
    for f in v.form:
        values = _known_values(v, f.column)
        if values.empty:
            out[f.column] = None
        elif f.kind == CATEGORY:
            out[f.column] = str(values.astype(str).mode().iloc[0])
        elif f.kind == FLAG:
            flags = [parse_value(f.column, ColumnType.flag, x) for x in values]
            out[f.column] = YES if float(np.mean(flags)) >= 0.5 else NO
        else:
            median = float(pd.to_numeric(values, errors="coerce").median())
            shown = v.labeller.shown(f.column, median)
            out[f.column] = round(shown) if f.integer else round(float(shown), 4)
    return out


def out_of_range(v: ChampionVersion, fields: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The numeric fields given outside the range of the known clients (the training range): (label, value,
    lowest, highest) as shown to people."""
    out = []
    form = {f.column: f for f in v.form}
    for column, value in fields.items():
        f = form.get(column)
        if f is None or f.kind != NUMERIC or is_missing(value):
            continue
        known = pd.to_numeric(_known_values(v, column), errors="coerce").dropna()
        if known.empty:
            continue
        low, high, raw = float(known.min()), float(known.max()), float(value)
        if raw < low or raw > high:
            lo, hi = (low, high) if v.labeller.spec(column).scale > 0 else (high, low)  # days -> years
            out.append(
                (
                    f.label,
                    v.labeller.format(column, raw),
                    v.labeller.format(column, lo),
                    v.labeller.format(column, hi),
                )
            )
    return out
