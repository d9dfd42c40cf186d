"""Schema of the `dataset` group (conf/dataset/*.yaml): tables, declared column types, keys and references,
the side-table aggregations, sentinels and domain features."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from omegaconf import MISSING


# ---- dataset ------------------------------------------------------------------------------------------------
class ColumnType(Enum):
    """Declared kind of a raw column.

    int: integer-valued numbers (missing allowed); float: any finite number; flag: 0/1 or Y/N;
    category: text levels (any level accepted, XNA included).
    """

    int = "int"
    float = "float"
    flag = "flag"
    category = "category"


class AggFunc(Enum):
    """Aggregations of a numeric column over the rows of one group."""

    min = "min"
    max = "max"
    mean = "mean"
    sum = "sum"
    var = "var"
    std = "std"
    median = "median"
    size = "size"
    count = "count"
    nunique = "nunique"


class DerivedOp(Enum):
    """Row-wise operations building a new column from existing ones.

    ratio (a / b, missing when b is 0), difference (a - b), product, sum, weighted_sum: missing if an input is
    missing. mean, std, min, max: over the inputs present (missing only when all are).
    """

    ratio = "ratio"
    difference = "difference"
    product = "product"
    sum = "sum"
    weighted_sum = "weighted_sum"
    mean = "mean"
    std = "std"
    min = "min"
    max = "max"


@dataclass
class ForeignKey:
    """`column` of this table refers to `ref_column` (same name when empty) of any of `tables`."""

    column: str = MISSING
    tables: list[str] = MISSING
    ref_column: str | None = None


@dataclass
class ColumnsByType:
    """Declared columns: space-separated names per type.

    One string per type (rather than one YAML line per column) keeps params.yaml small: DVC parses it once
    per stage on every `dvc status` / `dvc repro`, and a 400-line column list made a no-op repro slow.
    """

    int: str = ""
    float: str = ""
    flag: str = ""
    category: str = ""


@dataclass
class TableConfig:
    """One raw CSV file: its columns and declared types, unique key and references."""

    file: str = MISSING
    columns: ColumnsByType = MISSING
    key: list[str] = field(default_factory=list)
    references: list[ForeignKey] = field(default_factory=list)

    @property
    def types(self) -> dict[str, ColumnType]:
        """{column: declared type}, grouped by type in the order int, float, flag, category."""
        return {name: kind for kind in ColumnType for name in getattr(self.columns, kind.value).split()}


@dataclass
class Derived:
    """A derived column: `name` = op(columns), optionally clipped from below. `columns`: space-separated."""

    name: str = MISSING
    op: DerivedOp = MISSING
    columns: str = MISSING
    weights: list[float] | None = None
    clip_lower: float | None = None

    @property
    def inputs(self) -> list[str]:
        return self.columns.split()


@dataclass
class Sentinel:
    """`value` in `column` means "not known": replaced by missing, with an optional 0/1 `flag` column."""

    column: str = MISSING
    value: float = MISSING
    flag: str | None = None


@dataclass
class SubsetFilter:
    """Rows whose `column` equals `equals`."""

    column: str = MISSING
    equals: str = MISSING


@dataclass
class Subset:
    """Aggregations restricted to a subset of the rows (e.g. active credits), under their own prefix."""

    prefix: str = MISSING
    where: SubsetFilter = MISSING
    numeric: dict[str, str] | None = None  # default: the block's numeric aggregations


@dataclass
class Aggregation:
    """One group-by of a side table.

    numeric: {column pattern (fnmatch): "space-separated AggFunc names"}; categorical: space-separated column
    patterns, one-hot encoded and averaged (share of each level). (Lists of names are space-separated strings
    throughout: params.yaml and dvc.lock stay short, and DVC parses them on every status/repro.) With `attach_to`, the result is joined onto that table's rows (e.g.
    bureau_balance rolled up per SK_ID_BUREAU onto bureau) for the blocks that follow; otherwise `by` must be
    the dataset id and the result is part of the side features.
    """

    name: str = MISSING
    table: str = MISSING
    by: str = MISSING
    prefix: str = ""
    attach_to: str | None = None
    sentinels: list[Sentinel] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    numeric: dict[str, str] = field(default_factory=dict)  # {pattern: "min max mean"}
    categorical: str = ""
    max_levels: int = MISSING
    nan_as_category: bool = MISSING
    count: bool = False
    subsets: list[Subset] = field(default_factory=list)


@dataclass
class PlausibleRange:
    """The values a number column may plausibly take (None: unbounded on that side); checked at ingest
    (a value outside refuses the table) and when the app scores an application (a warning beside the score)."""

    column: str = MISSING
    min: float | None = None
    max: float | None = None


@dataclass
class DatasetConfig:
    """A dataset: its tables, the id and target, the side-table aggregations and the domain features."""

    name: str = MISSING
    id: str = MISSING
    target: str = MISSING
    train_table: str = MISSING
    production_table: str | None = None
    tables: dict[str, TableConfig] = MISSING
    aggregations: list[Aggregation] = field(default_factory=list)
    sentinels: list[Sentinel] = field(default_factory=list)
    domain_features: list[Derived] = field(default_factory=list)
    plausibility: list[PlausibleRange] = field(default_factory=list)  # ranges of number columns
    error_examples: int = MISSING  # how many row numbers an error message lists
    # the embedded generated demo: its register stage promotes by itself (registry.auto_promote)
    demo: bool = False
