"""The files behind `credit-scoring dataset init`: the CSVs named on the command line (files, or every *.csv
of a folder), a sample of each for the column types, and whole columns for the keys and references.

Every column is read as text (missing values as nulls, as `credit_scoring.data.tables` reads them); the
inference itself (`credit_scoring.data.infer`) only sees Arrow tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from credit_scoring.data.tables import read_header
from credit_scoring.errors import InputDataError

SAMPLE_ROWS = 100_000  # rows read per file to infer the column types and sentinels


class InferenceError(InputDataError):
    """Problems the inference cannot decide, one line each (`problems`)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def collect_csvs(paths: Sequence[Path]) -> dict[str, Path]:
    """{table name (file stem): path} of the files given and of every *.csv in the folders given."""
    found: dict[str, Path] = {}
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.csv"))
            if not files:
                problems.append(f"{path}: no *.csv file in this folder")
        elif path.exists():
            files = [path]
        else:
            problems.append(f"{path}: no such file or folder")
            files = []
        for file in files:
            if file.stem in found and found[file.stem].resolve() != file.resolve():
                problems.append(f"{file}: table {file.stem!r} given twice (also {found[file.stem]})")
            found[file.stem] = file
    if problems:
        raise InferenceError(problems)
    return found


def read_sample(path: Path, rows: int = SAMPLE_ROWS) -> pa.Table:
    """The first `rows` data rows of `path`, every column as text."""
    header = read_header(path)
    spaced = [h for h in header if not h.strip() or re.search(r"\s", h)]
    if spaced:
        raise InputDataError(
            f"{path.name}: column name(s) {', '.join(repr(h) for h in spaced)} contain spaces or are empty "
            "(the dataset file lists names separated by spaces)"
        )
    seen: set[str] = set()
    dupes = sorted({h for h in header if h in seen or seen.add(h)})
    if dupes:
        raise InputDataError(
            f"{path.name}: column name(s) {', '.join(dupes)} appear more than once in the header"
        )
    batches, taken = [], 0
    reader = _open(path, header, None)
    for batch in _batches(path, reader):
        batches.append(batch.slice(0, rows - taken))
        taken += batches[-1].num_rows
        if taken >= rows:
            break
    if taken == 0:
        raise InputDataError(f"{path.name}: has a header but no data rows")
    return pa.Table.from_batches(batches, schema=reader.schema)


def read_columns(path: Path, columns: Sequence[str]) -> pa.Table:
    """Whole `columns` of `path` (at least one), as text: the full pass for keys, references and the target."""
    if not columns:
        raise ValueError("read_columns needs at least one column")
    header = read_header(path)
    reader = _open(path, header, list(columns))
    return pa.Table.from_batches(list(_batches(path, reader)), schema=reader.schema)


def _batches(path: Path, reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    except pa.ArrowInvalid as exc:
        raise InputDataError(
            f"{path.name}: cannot be parsed as CSV ({exc}); the file may be truncated"
        ) from None


def _open(path: Path, header: list[str], include: list[str] | None) -> pacsv.CSVStreamingReader:
    try:
        return pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 22),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                include_columns=include,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputDataError(f"{path.name}: cannot be parsed as CSV ({exc})") from None
