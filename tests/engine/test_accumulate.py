"""Accumulators: one row per occupied cell, and the scatter path equals the grouped path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelward.engine import _batch, get_engine
from modelward.engine._accumulate import Dense, GroupingSet, Reduction
from tests.engine.engine_logs import make_log, make_table


def test_cells_are_allocated_on_first_sight_only() -> None:
    gs = GroupingSet("country", 100, ["US"])
    gs.codes(["US", "DE", "FR"])
    cells = gs.cells(np.array([10, 10, 51, 10]), np.array([0, 2, 1, 0]))
    assert cells.tolist() == [0, 1, 2, 0]
    assert gs.n_cells == 3
    bw, v = gs.cell_keys()
    assert bw.tolist() == [10, 10, 51]
    assert v.tolist() == [0, 2, 1]
    d = Dense(gs)
    d.add("n", "sum", Reduction.of(cells), np.array([1, 2, 3, 4], np.int64))
    got = d.get("n")
    assert got is not None
    assert got.dtype == np.uint32
    assert got.tolist() == [5, 2, 3]
    # 100 buckets x 2 windows x 3 values would be 600 cells; only the 3 seen are held
    assert d.arrays["n"].shape[0] < 20
    d.widen()
    got = d.get("n")
    assert got is not None
    assert got.dtype == np.int64
    assert got.tolist() == [5, 2, 3]


def test_accumulator_rows_follow_occupied_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[_batch.BatchAccumulator] = []
    orig = _batch.BatchAccumulator.__init__

    def spy(self: _batch.BatchAccumulator, plan: _batch.ScanPlan) -> None:
        orig(self, plan)
        seen.append(self)

    monkeypatch.setattr(_batch.BatchAccumulator, "__init__", spy)
    t = make_table(2000, seed=5, days=20)
    s = get_engine().summarise(make_log(t), reference_end="2026-01-05")
    vol = s.table("volume").to_pandas()
    acc = seen[0]
    for gs in acc.sets:
        # every cell is one volume row (a bucket is in one window only)
        assert gs.n_cells == int((vol["segment"] == gs.segment).sum())
        assert gs.n_cells <= 20 * len(gs.values)


@pytest.mark.parametrize(("seed", "rows"), [(3, 1 << 16), (4, 700)])
def test_scatter_path_equals_grouped_path(
    monkeypatch: pytest.MonkeyPatch, seed: int, rows: int
) -> None:
    t = make_table(3000, seed=seed, days=15)
    grouped = get_engine().summarise(make_log(t), reference_end="2026-01-04", sample_size=10)
    monkeypatch.setattr(_batch, "GROUP_BYTES", 0)
    monkeypatch.setattr(_batch, "SCATTER_ROWS", rows)  # batches scattered in slices
    scattered = get_engine().summarise(make_log(t), reference_end="2026-01-04", sample_size=10)
    for name, tab in grouped.tables.items():
        other = scattered.tables[name]
        assert tab.schema == other.schema, name
        a, b = tab.to_pandas(), other.to_pandas()
        if name == "sample":
            a, b = a.sort_values("_hash"), b.sort_values("_hash")
        # counts are exact; float sums may differ in the last bits (summation order)
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), rtol=1e-12, obj=name
        )


@pytest.mark.parametrize("cell", [[5, 2, 5, 7, 2], [3, 1, 4], [0]])
def test_reduction_index_maps_each_group_to_its_cell(cell: list[int]) -> None:
    red = Reduction.of(np.array(cell, np.int64))
    assert red.cells[red.index()].tolist() == cell
