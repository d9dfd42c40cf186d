"""Plain-words reasons of a score: SHAP contributions grouped by the client's own fields.

The champion's model scores the feature matrix the inference preprocessing builds (application columns,
domain features, side-table aggregates, one-hot indicators) and gives each feature's exact SHAP contribution
to its log-odds (`FittedModel.contributions`, whatever the model kind). `Reasoner`, built once per champion
version, sums the indicators of one categorical field into that field ("Income type is Working"), qualifies
numbers against the clients' own distribution ("External score 3 is low (0.21)") and words the direction
("raises the risk"). Calibration is monotone, so a contribution that raises the log-odds raises the
calibrated probability too.

Labels: `PlainWordsConfig.labels` names the common fields (the `serving.plain_words` settings); other
features are worded from their names (prefix of the side table, aggregation suffix, known abbreviations).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from babel.numbers import format_decimal
from scipy import sparse

from credit_scoring.config import ColumnType, DatasetConfig
from credit_scoring.config.serving import LabelSpec, PlainWordsConfig, VocabularyConfig
from credit_scoring.features.naming import level_column

NUMERIC, FLAG, CATEGORY = "numeric", "flag", "category"
RAISES, LOWERS, NO_EFFECT = "raises the risk", "lowers the risk", "does not change the risk"
MISSING_TEXT, OTHER_LEVEL_TEXT = "missing", "another value"


class Labeller:
    """Plain-words label and display of any feature or field, in one language."""

    def __init__(
        self,
        cfg: PlainWordsConfig,
        categorical: Iterable[str] = (),
        vocabulary: VocabularyConfig | None = None,
        lang: str = "en",
    ) -> None:
        """`categorical`: the categorical columns of the dataset's tables (their levels' indicators and
        shares are worded "share with <column> <level>"); `vocabulary`: the words of another language than
        English (`serving.translations.<lang>`); units, scales and decimals stay `cfg`'s."""
        self.cfg, self.lang = cfg, lang
        words = vocabulary or cfg
        self.prefixes, self.suffixes, self.words = words.prefixes, words.suffixes, words.words
        self.levels, self.level_aggregates = words.levels, words.level_aggregates
        self.phrases = {**cfg.phrases, **words.phrases}
        self.units = dict(vocabulary.units) if vocabulary is not None else {}
        self.labels = (
            dict(vocabulary.labels)
            if vocabulary is not None
            else {c: spec.label for c, spec in cfg.labels.items() if spec.label}
        )
        self.categorical = sorted(set(categorical), key=lambda c: -len(c))  # longest first
        self._cache: dict[str, str] = {}

    def spec(self, column: str) -> LabelSpec:
        return self.cfg.labels.get(column) or LabelSpec()

    def phrase(self, key: str, **values: str) -> str:
        text = self.phrases.get(key, key)
        return text.format(**values) if values else text

    def label(self, column: str) -> str:
        """The configured label, else one worded from the name (cached)."""
        if column not in self._cache:
            self._cache[column] = self.labels.get(column) or self._worded(column)
        return self._cache[column]

    def _worded(self, column: str) -> str:
        tokens = column.split("_")
        prefix = ""
        for n in range(len(tokens) - 1, 0, -1):  # longest known prefix (BURO, ACTIVE, ...)
            head = "_".join(tokens[:n])
            if head in self.prefixes:
                prefix, tokens = self.prefixes[head], tokens[n:]
                break
        suffix = ""
        if tokens and tokens[-1] in self.suffixes:
            level = self._level_share(tokens[:-1], tokens[-1])
            if level:
                return _capitalised(f"{prefix}: {level}" if prefix else level)
            suffix, tokens = self.suffixes[tokens[-1]], tokens[:-1]
        level = self._level_share(tokens, "")
        if level:
            return _capitalised(f"{prefix}: {level}" if prefix else level)
        body = self._words(tokens)
        if suffix:
            body = f"{body} ({suffix})" if body else suffix
        text = f"{prefix}: {body}" if prefix else body
        return _capitalised(text) if text else column

    def _level_share(self, tokens: list[str], aggregate: str) -> str:
        """'share with reject reason "none"' for the tokens of a level's indicator (CODE_REJECT_REASON_XAP,
        STATUS_0_MEAN: an indicator already averaged per credit) aggregated by `aggregate` (MEAN, SUM, ""
        for the indicator itself); "" when the tokens name no level of a categorical column."""
        body = "_".join(tokens)
        for column in self.categorical:
            if not body.startswith(column + "_") or body == column:
                continue
            rest = body[len(column) + 1 :].split("_")
            if len(rest) > 1 and rest[-1] in self.suffixes:  # aggregated twice (per credit, then client)
                rest = rest[:-1]
            what = self.labels.get(column) or self._words(column.split("_"))
            level = self.level(column, "_".join(rest))
            if not aggregate:
                return self.phrase("level_is", what=what, level=level)
            share = self.level_aggregates.get(aggregate) or self.suffixes[aggregate]
            return self.phrase("share", share=share, what=what[:1].lower() + what[1:], level=level)
        return ""

    def level(self, column: str, code: str) -> str:
        """A categorical level in plain words: the configured words of the column's (or any column's) code,
        else the code's own text made readable ("Contact_center" -> "Contact center", "FRIDAY" -> "friday")."""
        for table in (self.levels.get(column, {}), self.levels.get("*", {})):
            if code in table:
                return table[code]
        text = code.replace("_", " ").strip()
        return text.lower() if text.isupper() else text

    def _words(self, tokens: list[str]) -> str:
        words = [self.words.get(t, t if not t.isupper() else t.lower()) for t in tokens]
        return " ".join(w for w in words if w)

    def shown(self, column: str, raw: float) -> float:
        """Value in the unit shown to people (raw / scale)."""
        return raw / self.spec(column).scale

    def raw(self, column: str, shown: float) -> float:
        """Raw value of a value given in the shown unit (shown x scale)."""
        return shown * self.spec(column).scale

    def format(self, column: str, raw: float) -> str:
        """'0.21', '135,000', '35.2 years' ('0,21', '135 000', '35,2 ans' in French); 'missing' for NaN."""
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return self.phrase("missing")
        spec = self.spec(column)
        value = self.shown(column, float(raw))
        text = format_number(value, spec.decimals, self.lang)
        return f"{text} {self.units.get(spec.unit, spec.unit)}".strip()


def categorical_columns(ds: DatasetConfig) -> set[str]:
    """The categorical columns of every table of a dataset (their levels become indicators and shares)."""
    return {c for t in ds.tables.values() for c, kind in t.types.items() if kind is ColumnType.category}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def format_number(value: float, decimals: int | None = None, lang: str = "en") -> str:
    """Readable number in the language's notation: thousands separators, 2 decimals for small values, fewer
    for large ones."""
    if decimals is None:
        magnitude = abs(value)
        decimals = 0 if magnitude >= 1000 or float(value).is_integer() else (1 if magnitude >= 10 else 2)
    if lang == "en":
        return f"{value:,.{decimals}f}"
    return format_decimal(value, "#,##0" + ("." + "0" * decimals if decimals else ""), locale=lang)


# ---- grouping and wording -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeatureGroup:
    """One field as people know it: a numeric feature, a 0/1 flag, or all indicators of a categorical field."""

    name: str
    kind: str  # numeric | flag | category
    columns: tuple[int, ...]  # positions in the model's feature matrix
    levels: tuple[
        str | None, ...
    ] = ()  # category: the level of each indicator (None: missing), or all levels
    ordinal: bool = False  # category encoded as one ordinal code (levels = codes 0..k-1)


def feature_groups(
    feature_names: list[str], encoder: Any, declared: dict[str, ColumnType] | None = None
) -> list[FeatureGroup]:
    """Groups of the model features: each categorical field's indicators together, in feature order.

    `encoder` is the data stages' fitted `CategoricalEncoder` (levels_, nan_columns_, method); `declared`
    the application columns' declared types (flags are worded yes / no).
    """
    declared = declared or {}
    position = {name: j for j, name in enumerate(feature_names)}
    taken: dict[int, FeatureGroup] = {}
    levels_by_column: dict[str, list[str]] = dict(getattr(encoder, "levels_", {}) or {})
    nan_columns = set(getattr(encoder, "nan_columns_", []) or [])
    ordinal = getattr(encoder, "method", "onehot") == "ordinal"
    for col, levels in levels_by_column.items():
        if ordinal:
            if col in position:
                taken[position[col]] = FeatureGroup(col, CATEGORY, (position[col],), tuple(levels), True)
            continue
        named: list[str | None] = list(levels) + ([None] if col in nan_columns else [])
        cols = [(position[level_column(col, lv)], lv) for lv in named if level_column(col, lv) in position]
        if cols:
            group = FeatureGroup(col, CATEGORY, tuple(j for j, _ in cols), tuple(lv for _, lv in cols))
            taken[min(group.columns)] = group
            for j, _ in cols:
                taken.setdefault(j, group)
    groups: list[FeatureGroup] = []
    seen: set[str] = set()
    for j, name in enumerate(feature_names):
        group = taken.get(j)
        if group is None:
            kind = FLAG if declared.get(name) is ColumnType.flag else NUMERIC
            group = FeatureGroup(name, kind, (j,))
        if group.name not in seen:
            seen.add(group.name)
            groups.append(group)
    return groups


@dataclass(frozen=True)
class Reason:
    """One field's part in a score, worded."""

    feature: str
    label: str
    value: str  # the client's value as shown ("0.21", "Working", "missing")
    qualifier: str  # low / average / high for numbers, "" otherwise
    contribution: float  # SHAP contribution to the log-odds (sum over the field's indicators)
    effect: str  # raises the risk / lowers the risk
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Reasoner:
    """Words the contributions of one champion version; `reference` rows set what is low or high."""

    def __init__(self, groups: list[FeatureGroup], labeller: Labeller, reference: np.ndarray) -> None:
        self.groups = groups
        self.labeller = labeller
        n_features = reference.shape[1]
        self.group_of = np.zeros(n_features, dtype="int64")  # feature position -> its group
        for g, group in enumerate(groups):
            self.group_of[list(group.columns)] = g
        self.membership = sparse.csr_matrix(  # (features, groups) 0/1, for many rows at once
            (np.ones(n_features), (np.arange(n_features), self.group_of)), shape=(n_features, len(groups))
        )
        q = (labeller.cfg.low_quantile, 0.5, labeller.cfg.high_quantile)
        with np.errstate(all="ignore"):
            ref = np.asarray(reference, dtype="float64")
            if len(ref):
                self.quantiles = np.stack([_nanquantile(ref, p) for p in q])  # (3, features)
            else:
                self.quantiles = np.full((3, n_features), np.nan)

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.groups]

    def group_contributions(self, contributions: np.ndarray) -> np.ndarray:
        """(rows, groups): contributions summed over each field's indicators (no BLAS threads involved)."""
        c = np.atleast_2d(np.asarray(contributions, dtype="float64"))
        if len(c) == 1:
            return np.bincount(self.group_of, weights=c[0], minlength=len(self.groups))[None, :]
        return np.asarray((self.membership.T @ c.T).T)

    def value_text(
        self, group: FeatureGroup, row: np.ndarray, labeller: Labeller | None = None
    ) -> tuple[str | None, str]:
        """(shown value, qualifier key: low / average / high / "") of a field in one feature row (before
        imputation); None for a missing value."""
        lab = labeller or self.labeller
        other = lab.phrase("other_level")
        if group.kind == CATEGORY:
            values = row[list(group.columns)]
            if group.ordinal:
                code = values[0]
                if np.isnan(code):
                    return None, ""
                code = int(code)
                if not 0 <= code < len(group.levels):
                    return other, ""
                return lab.level(group.name, str(group.levels[code])), ""
            hot = np.flatnonzero(values == 1)
            if len(hot) == 0:
                return other, ""
            level = group.levels[int(hot[0])]
            return (None if level is None else lab.level(group.name, str(level))), ""
        j = group.columns[0]
        value = float(row[j])
        if np.isnan(value):
            return None, ""
        if group.kind == FLAG:
            return lab.phrase("yes" if value == 1 else "no"), ""
        return lab.format(group.name, value), self._qualifier(group.name, j, value)

    def _qualifier(self, name: str, j: int, value: float) -> str:
        low, _, high = self.quantiles[:, j]
        if np.isnan(low) or np.isnan(high):
            return ""
        if value < low:
            word = "low"
        elif value > high:
            word = "high"
        else:
            return "average"
        if self.labeller.spec(name).scale < 0:  # shown in the opposite direction (days before -> years)
            word = "high" if word == "low" else "low"
        return word

    def reason(
        self, g: int, row: np.ndarray, contribution: float, labeller: Labeller | None = None
    ) -> Reason:
        lab = labeller or self.labeller
        group = self.groups[g]
        label = lab.label(group.name)
        value, key = self.value_text(group, row, lab)
        effect = lab.phrase("raises" if contribution > 0 else "lowers" if contribution < 0 else "no_effect")
        qualifier = lab.phrase(key) if key else ""
        if value is None:
            value, subject = lab.phrase("missing"), lab.phrase("is_missing", label=label)
        elif qualifier:
            subject = lab.phrase("is_qualified", label=label, qualifier=qualifier, value=value)
        else:
            subject = lab.phrase("is_value", label=label, value=value)
        text = lab.phrase("reason", subject=subject, effect=effect)
        return Reason(group.name, label, value, qualifier, float(contribution), effect, text)

    def reasons(
        self, row: np.ndarray, contributions: np.ndarray, k: int, labeller: Labeller | None = None
    ) -> list[Reason]:
        """The k fields with the largest |contribution| for one client, largest first (zeros left out), in
        the words of `labeller` (default: the English one)."""
        grouped = self.group_contributions(np.asarray(contributions)[None, :])[0]
        order = np.argsort(-np.abs(grouped), kind="stable")[:k]
        return [self.reason(int(g), row, float(grouped[g]), labeller) for g in order if grouped[g] != 0]

    def importance(self, contributions: np.ndarray) -> pd.DataFrame:
        """Mean |contribution| of each field over rows: columns feature, label, importance (largest first)."""
        grouped = np.abs(self.group_contributions(contributions)).mean(axis=0) if len(contributions) else 0.0
        frame = pd.DataFrame(
            {
                "feature": self.names,
                "label": [self.labeller.label(n) for n in self.names],
                "importance": np.broadcast_to(grouped, (len(self.groups),)).astype("float64"),
            }
        )
        return frame.sort_values("importance", ascending=False, ignore_index=True, kind="stable")


def _nanquantile(values: np.ndarray, q: float) -> np.ndarray:
    """Column quantile ignoring NaN (NaN for an all-missing column, without a warning)."""
    out = np.full(values.shape[1], np.nan)
    present = ~np.isnan(values).all(axis=0)
    if present.any():
        out[present] = np.nanquantile(values[:, present], q, axis=0)
    return out
