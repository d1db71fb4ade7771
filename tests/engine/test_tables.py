"""The tables are written in key order block by block, with the schema of docs/summaries.md."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pytest

from modelward.engine import _batch, get_engine
from modelward.engine.summaries import TABLE_SPECS
from tests.engine.engine_logs import make_log, make_table


@pytest.mark.parametrize("sparse", [False, True])
def test_tables_come_sorted_by_their_keys(monkeypatch: pytest.MonkeyPatch, sparse: bool) -> None:
    t = make_table(4000, seed=21, days=12)
    colour = t["colour"].to_pylist()
    late = np.flatnonzero(t["timestamp"].to_numpy() >= np.datetime64("2026-01-08"))
    for i in late[::3]:
        colour[i] = f"new{i % 13}"  # unseen values, and a segment column with many values
    t = t.set_column(t.column_names.index("colour"), "colour", pa.array(colour, pa.string()))
    if sparse:
        monkeypatch.setattr(_batch, "GROUP_BYTES", 0)
    log = dataclasses.replace(make_log(t), segments=("country", "colour"))
    s = get_engine().summarise(log, reference_end="2026-01-04", sample_size=0)
    for name, spec in TABLE_SPECS.items():
        tab = s.table(name)
        assert tab.num_rows > 0, name
        order = [(k, "ascending") for k in spec.keys]
        assert tab.equals(tab.sort_by(order)), name
        # one row per key
        assert tab.group_by(list(spec.keys)).aggregate([]).num_rows == tab.num_rows, name
        for key in ("window", "segment", "segment_value", "feature"):
            if key in tab.column_names:
                assert tab.schema.field(key).type == pa.string(), (name, key)
    vol = s.table("volume").to_pandas()
    assert set(vol["segment"]) == {"", "country", "colour"}
    assert {f"new{i}" for i in range(13)} <= set(vol["segment_value"])
