"""Rendering an inferred dataset (`credit_scoring.data.infer.DatasetInfo`) as a conf/dataset/<name>.yaml file.

Same layout as conf/dataset/home_credit.yaml and single_table.yaml: the columns of each table listed per type
as space-separated names, keys, references, sentinels and one default aggregation block per side table
keyed by the id; comments say what was inferred and what to check.
"""

from __future__ import annotations

import json
import re
import textwrap

from omegaconf import OmegaConf

from credit_scoring.config import ColumnType, DatasetConfig
from credit_scoring.data.infer import DatasetInfo, Sentinel, TableInfo

WIDTH = 110
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"}
AGG_FUNCS = "min max mean"


def scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when safe, double-quoted otherwise."""
    if PLAIN.match(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text)


def _comment(lines: list[str], indent: str = "") -> list[str]:
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, WIDTH - len(indent) - 2, subsequent_indent="  ", break_on_hyphens=False)
    return [f"{indent}# {line}" for line in out]


def _names(names: list[str], indent: str) -> list[str]:
    return textwrap.wrap(" ".join(names), WIDTH - len(indent), break_on_hyphens=False, break_long_words=False)


def _sentinel_entry(s: Sentinel, flag: bool) -> str:
    flag_part = f", flag: {scalar(s.column + '_ANOM')}" if flag else ""
    return f"{{column: {scalar(s.column)}, value: {s.shown}{flag_part}}}"


def _sentinel_note(table: str, s: Sentinel) -> str:
    verdict = "suggested below" if s.sure else "not declared (check it)"
    return (
        f"{table}.{s.column}: {s.shown} on {s.count:,} sampled rows ({s.share:.1%}), far outside the other "
        f"values ({s.low:g} to {s.high:g}): looks like a 'not known' code; {verdict}"
    )


def _header(info: DatasetInfo, sample_rows: int) -> list[str]:
    train = info.tables[info.train_table]
    lines = [
        f"Inferred by `credit-scoring dataset init` from {len(info.tables)} CSV file(s): check it before the "
        "first run (then `dvc exp run -S dataset=" + info.name + "`, with the CSVs in paths.raw).",
        f"- types: from the first {sample_rows:,} rows of each file. int: whole numbers written without a "
        "decimal point; float: other numbers (and columns empty in the sample); flag: only 0/1 or only Y/N; "
        "category: anything else. A count that is only 0 or 1 in the sample is declared flag: make it int "
        "(or float) if it can be larger; a code written as numbers (zip code, branch) should be a category.",
        "- keys: unique and never missing on every row; references: a column named like another table's "
        "key, every value found in that key (every row checked).",
        f"- target: {info.target} in {info.train_table} ({train.rows:,} rows, {info.target_rate:.1%} are 1); "
        f"id: {info.id}; production table: {info.production_table or 'none (--production TABLE to set one)'}.",
        "- domain_features: none inferred; add ratios of the train table's columns, e.g. "
        "{name: DEBT_INCOME, op: ratio, columns: DEBT INCOME}.",
    ]
    sentinels = [_sentinel_note(t.name, s) for t in info.tables.values() for s in t.sentinels]
    if sentinels:
        lines.append("- sentinels:")
        lines += [f"  {n}" for n in sentinels]
    return _comment(lines)


def _dataset_sentinels(info: DatasetInfo) -> list[str]:
    main = [info.tables[t] for t in (info.train_table, info.production_table) if t is not None]
    chosen: dict[str, Sentinel] = {}
    for table in main:
        for s in table.sentinels:
            if s.sure:
                chosen.setdefault(s.column, s)
    if not chosen:
        return ["sentinels: []  # none found in the train table (see the comments above)"]
    lines = [
        "# Application-level sentinels: the value becomes missing, plus a 0/1 flag column (features stage)."
    ]
    lines.append("sentinels:")
    lines += [f"  - {_sentinel_entry(s, flag=True)}" for s in chosen.values()]
    return lines


def _aggregation(info: DatasetInfo, table: TableInfo) -> list[str]:
    skip = {info.id, *table.key, *(r.column for r in table.references)}
    numeric = [c for c, k in table.types.items() if k in (ColumnType.int, ColumnType.float) and c not in skip]
    categories = [c for c in table.columns_of(ColumnType.category) if c not in skip]
    lines = [
        f"  - name: {scalar(table.name)}",
        f"    table: {scalar(table.name)}",
        f"    by: {scalar(info.id)}",
        f"    prefix: {scalar(re.sub(r'[^0-9A-Za-z]+', '_', table.name).strip('_').upper() or 'SIDE')}",
    ]
    sure = [s for s in table.sentinels if s.sure]
    if sure:
        lines.append("    sentinels:  # inferred 'not known' codes, replaced by missing before aggregating")
        lines += [f"      - {_sentinel_entry(s, flag=False)}" for s in sure]
    if numeric:
        lines.append("    numeric:")
        lines += [f"      {scalar(c)}: {AGG_FUNCS}" for c in numeric]
    else:
        lines.append("    numeric: {}  # no numeric column")
    if categories:
        lines.append("    # the share of each level of the categorical columns: uncomment (and trim) to add")
        lines.append("    # categorical: >-")
        lines += [f"    #   {line}" for line in _names(categories, "    #   ")]
    lines += ["    max_levels: 20", "    nan_as_category: true", "    count: true  # rows per id"]
    return lines


def _aggregations(info: DatasetInfo) -> list[str]:
    side = [info.tables[t] for t in info.side_tables]
    by_id = [t for t in side if info.id in t.types]
    others = [t for t in side if info.id not in t.types]
    lines = _comment(
        [
            f"Side tables aggregated to one row per {info.id} (merge stage), in this order; names: "
            "PREFIX_COLUMN_FUNC. Defaults: min max mean of every numeric column and the row count; "
            "edit the functions (min max mean sum var std median size count nunique), add `categorical`, "
            "`derived` columns or `subsets` (see home_credit.yaml)."
        ]
    )
    for t in others:
        parent = ", ".join(r.tables[0] for r in t.references) or "a table keyed by one of its columns"
        lines += _comment(
            [
                f"{t.name} has no {info.id} column: not aggregated. To use it, add a block with `by:` its "
                f"reference column and `attach_to: {parent}` before that table's block (like "
                "bureau_balance_per_credit in home_credit.yaml)."
            ]
        )
    if not by_id:
        return [*lines, "aggregations: []  # no side table with the id column"]
    lines.append("aggregations:")
    for t in by_id:
        lines += _aggregation(info, t)
        lines.append("")
    return lines[:-1]


def _table(table: TableInfo) -> list[str]:
    lines = [f"  {scalar(table.name)}:", *_comment(table.notes, "    "), f"    file: {scalar(table.file)}"]
    if table.key:
        lines.append(f"    key: [{', '.join(scalar(k) for k in table.key)}]")
    if table.references:
        lines.append("    references:")
        for ref in table.references:
            parents = ", ".join(scalar(t) for t in ref.tables)
            lines.append(f"      - {{column: {scalar(ref.column)}, tables: [{parents}]}}")
    sampled = f", types from {table.sampled:,}" if table.sampled < table.rows else ""
    lines.append(f"    columns:  # {len(table.types)} ({table.rows:,} rows{sampled})")
    for kind in ColumnType:
        names = table.columns_of(kind)
        if names:
            lines.append(f"      {kind.value}: >-")
            lines += [f"        {line}" for line in _names(names, "        ")]
    return lines


def render_dataset(info: DatasetInfo, sample_rows: int) -> str:
    """The text of conf/dataset/<name>.yaml for `info`."""
    lines = _header(info, sample_rows)
    lines += [
        f"name: {scalar(info.name)}",
        f"id: {scalar(info.id)}",
        f"target: {scalar(info.target)}",
        f"train_table: {scalar(info.train_table)}",
        f"production_table: {scalar(info.production_table) if info.production_table else 'null'}",
        "error_examples: 5  # row numbers listed in an error message",
        "",
        *_dataset_sentinels(info),
        "",
        "domain_features: []  # e.g. - {name: DEBT_INCOME, op: ratio, columns: DEBT INCOME}",
        "plausibility: []  # ranges of number columns, e.g. - {column: INCOME, min: 0, max: null}",
        "",
        *_aggregations(info),
        "",
        "tables:",
    ]
    for table in info.tables.values():
        lines += _table(table)
    return "\n".join(lines) + "\n"


def parse_dataset(text: str) -> DatasetConfig:
    """`text` read back against the dataset schema (a rendered file must pass before it is written)."""
    merged = OmegaConf.merge(OmegaConf.structured(DatasetConfig), OmegaConf.create(text))
    return OmegaConf.to_object(merged)  # type: ignore[return-value]
