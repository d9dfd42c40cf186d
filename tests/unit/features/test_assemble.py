"""The id-level blocks joined side by side: streamed in batches, the same table as one outer join."""

from __future__ import annotations

from functools import reduce
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from credit_scoring.errors import ConfigError
from credit_scoring.features.merge import assemble, side_ids

DS = SimpleNamespace(id="ID")


def _blocks() -> list[pa.Table]:
    return [
        pa.table({"ID": [3, 1, 7, 5], "A": [30.0, 10.0, None, 50.0]}),  # unsorted, a missing value
        pa.table({"ID": [2, 3, 9], "B": [2, 3, 9], "C": [0.5, 1.5, 2.5]}),  # integers become float64
        pa.table({"ID": pa.array([], pa.int64()), "D": pa.array([], pa.float64())}),  # no row at all
    ]


@pytest.mark.parametrize("rows_per_batch", [1, 2, 3, 100])
def test_assemble_gives_the_outer_join_on_the_sorted_ids(rows_per_batch: int) -> None:
    blocks = _blocks()
    ids = side_ids(DS, blocks)
    reader = assemble(DS, blocks, ids, rows_per_batch)
    got = reader.read_all().to_pandas()
    frames = [b.to_pandas() for b in blocks]
    want = reduce(lambda a, b: a.merge(b, on="ID", how="outer", validate="one_to_one"), frames)
    want = want.sort_values("ID", ignore_index=True).astype({"B": "float64", "D": "float64"})
    pd.testing.assert_frame_equal(got, want, check_dtype=True)
    assert list(ids) == [1, 2, 3, 5, 7, 9]
    assert reader.schema.field("B").type == pa.float64()


def test_a_block_not_unique_on_the_id_is_refused() -> None:
    blocks = [pa.table({"ID": [1, 1], "A": [1.0, 2.0]})]
    with pytest.raises(ConfigError, match="not unique on ID"):
        side_ids(DS, blocks)


def test_no_block_gives_an_empty_stream() -> None:
    ids = side_ids(DS, [])
    table = assemble(DS, [], ids, 10).read_all()
    assert table.num_rows == 0 and table.column_names == ["ID"]
    assert np.asarray(table.column("ID")).dtype == np.int64
