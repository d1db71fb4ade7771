"""Shared helpers of the performance and latency tests: random logs through the real engine."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pyarrow as pa

from modelward.engine.duckdb_engine import DuckDBEngine
from modelward.engine.summaries import Summaries
from modelward.io import read_log

START = dt.datetime(2026, 1, 1)


def binary_table(
    seed: int, n: int, *, days: int = 6, labelled: float = 0.8, separation: float = 1.2
) -> pa.Table:
    """Random binary log: logistic scores, served threshold 0.5, some labels missing."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    z = rng.normal(size=n) + separation * y
    score = np.round(1 / (1 + np.exp(-(z - 1.0))), 9)
    has_label = rng.random(n) < labelled
    day = rng.integers(0, days, n)
    return pa.table({
        "prediction_id": [f"id{i}" for i in range(n)],
        "timestamp": pa.array(
            [START + dt.timedelta(days=int(d), seconds=int(s))
             for d, s in zip(day, rng.integers(0, 86_400, n), strict=True)],
            pa.timestamp("us"),
        ),
        "score": score,
        "prediction": (score >= 0.5).astype(np.int64),
        "label": pa.array(y.astype(np.int64), mask=~has_label),
        "latency_ms": np.round(rng.lognormal(3.0, 0.6, n), 3),
        "x": rng.normal(size=n) + 0.3 * (day >= days // 2),
        "region": rng.choice(["north", "south", "east"], n),
    })  # fmt: skip


def summarise(table: pa.Table, reference_end: str | None) -> Summaries:
    """The real engine on an Arrow table (its pyarrow copy warning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return DuckDBEngine().summarise(read_log(table), reference_end=reference_end)


def current_rows(table: pa.Table, reference_end: str) -> pa.Table:
    """Rows after ``reference_end`` (a date, inclusive end of the reference)."""
    end = dt.datetime.fromisoformat(reference_end) + dt.timedelta(days=1)
    ts = table["timestamp"].to_numpy()
    return table.filter(pa.array(ts >= np.datetime64(end)))
