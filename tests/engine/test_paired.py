"""The paired join of two logs: counts equal a row-by-row count, bounded output, bad input."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from modelward._exceptions import ConfigError, LogSchemaError
from modelward.engine.paired import log_counts, paired_counts
from modelward.io import read_log

T0 = dt.datetime(2026, 1, 1)


def _table(n: int, seed: int, *, ids: list[str] | None = None, labels: bool = True) -> pa.Table:
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 1, n)
    score[:3] = [0.0, 1.0, 0.5]
    label = rng.integers(0, 2, n).astype(object)
    label[rng.uniform(size=n) < 0.3] = None
    cols: dict[str, object] = {
        "prediction_id": ids or [f"id{i}" for i in range(n)],
        "timestamp": [T0 + dt.timedelta(minutes=i) for i in range(n)],
        "score": score,
        "prediction": (score >= 0.5).astype(np.int64),
        "country": rng.choice(["FR", "US", "DE"], n),
    }
    if labels:
        cols["label"] = pa.array(list(label), type=pa.int64())
    return pa.table(cols)


def _bin(s: float, bins: int) -> int:
    return min(int(np.floor(s * bins)), bins - 1)


def test_counts_equal_a_row_by_row_count() -> None:
    bins = 7
    base = _table(600, 1)
    # candidate: other scores, a few rows missing, some extra ids, labels only here for some
    cand = _table(650, 2, ids=[f"id{i}" for i in range(50, 700)])
    con = duckdb.connect()
    counts = paired_counts(
        read_log(base, con=con), read_log(cand, con=con, segments=["country"]), bins=bins
    )
    b = {r["prediction_id"]: r for r in base.to_pylist()}
    expected: Counter[tuple[str, str, int, int, int, int, int]] = Counter()
    for rc in cand.to_pylist():
        rb = b.get(rc["prediction_id"])
        if rb is None:
            continue
        label = rb["label"] if rb["label"] is not None else rc["label"]
        key = (
            _bin(rb["score"], bins),
            _bin(rc["score"], bins),
            rb["prediction"],
            rc["prediction"],
            -1 if label is None else label,
        )
        expected[("", "", *key)] += 1
        expected[("country", rb["country"], *key)] += 1
    got = Counter(
        {
            (r["segment"], r["segment_value"], r["b_bin"], r["c_bin"], r["b_pred"], r["c_pred"],
             r["label"]): r["n"]
            for r in counts.table.to_pylist()
        }
    )  # fmt: skip
    assert got == expected
    assert counts.n_shared == 550
    assert (counts.n_baseline, counts.n_candidate) == (600, 650)
    assert counts.segments == ("country",)
    assert counts.has_score
    assert counts.has_label


def test_output_is_bounded_by_bins_not_rows() -> None:
    bins = 5
    con = duckdb.connect()
    base, cand = _table(20_000, 3), _table(20_000, 4)
    counts = paired_counts(read_log(base, con=con), read_log(cand, con=con), bins=bins)
    values = 3  # countries
    assert counts.table.num_rows <= (1 + values) * bins * bins * 2 * 2 * 3
    assert counts.n_shared == 20_000


def test_log_counts_totals_per_segment() -> None:
    t = _table(500, 5)
    lc = log_counts(read_log(t, segments=["country"]), bins=10)
    tab = lc.table.to_pylist()
    assert sum(r["n"] for r in tab if r["segment"] == "") == 500
    by_country = Counter(t["country"].to_pylist())
    for c, n in by_country.items():
        assert sum(r["n"] for r in tab if r["segment_value"] == c) == n
    assert {r["bin"] for r in tab} <= set(range(10))


def test_without_label_and_label_from_candidate() -> None:
    con = duckdb.connect()
    base = _table(50, 6, labels=False)
    cand = _table(50, 7)
    counts = paired_counts(read_log(base, con=con), read_log(cand, con=con), bins=4)
    whole = [r for r in counts.table.to_pylist() if r["segment"] == ""]
    n_lab = sum(r["n"] for r in whole if r["label"] >= 0)
    assert n_lab == sum(v is not None for v in cand["label"].to_pylist())


def test_logs_in_two_connections_are_refused() -> None:
    with pytest.raises(ConfigError, match="same DuckDB connection"):
        paired_counts(read_log(_table(10, 1)), read_log(_table(10, 2)))


def test_bad_bins_and_missing_segment() -> None:
    con = duckdb.connect()
    a, b = read_log(_table(10, 1), con=con), read_log(_table(10, 2), con=con)
    with pytest.raises(ConfigError, match="'bins' parameter"):
        paired_counts(a, b, bins=1)
    with pytest.raises(LogSchemaError, match="column 'nope'"):
        paired_counts(a, b, segments=["nope"])


def test_regression_logs_are_refused() -> None:
    t = _table(10, 1).set_column(3, "prediction", pa.array(np.linspace(0.5, 3.2, 10)))
    con = duckdb.connect()
    a = read_log(t.drop_columns(["score"]), con=con)
    with pytest.raises(ConfigError, match="binary"):
        paired_counts(a, a)
