"""Small prediction logs built with pyarrow, for the io tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

T0 = dt.datetime(2026, 1, 1)


def make_table(n: int = 30, **overrides: Any) -> pa.Table:
    """A valid binary-task log of ``n`` rows, 3 per day, with columns overridable."""
    hours = [i * 8 for i in range(n)]
    cols: dict[str, Any] = {
        "prediction_id": [f"p{i}" for i in range(n)],
        "timestamp": pa.array([T0 + dt.timedelta(hours=h) for h in hours], pa.timestamp("us")),
        "model_version": ["v1" if i < n // 2 else "v2" for i in range(n)],
        "score": [((i * 7) % 10) / 10 + 0.05 for i in range(n)],
        "prediction": [int(((i * 7) % 10) >= 5) for i in range(n)],
        "label": [i % 2 if i % 3 else None for i in range(n)],
        "label_timestamp": pa.array(
            [T0 + dt.timedelta(hours=h + 2 + i) if i % 3 else None for i, h in enumerate(hours)],
            pa.timestamp("us"),
        ),
        "latency_ms": [10.0 + i for i in range(n)],
        "amount": [float(i) * 1.5 for i in range(n)],
        "count_items": pa.array([i % 4 for i in range(n)], pa.int32()),
        "country": ["FR", "US", "DE"] * (n // 3) + ["FR"] * (n % 3),
        "user": [f"u{i}" for i in range(n)],
    }
    for key, value in overrides.items():
        if value is None:
            cols.pop(key)
        else:
            cols[key] = value
    return pa.table(cols)


@pytest.fixture
def table() -> pa.Table:
    return make_table()


@pytest.fixture
def parquet_file(tmp_path: Path, table: pa.Table) -> Path:
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a table as Parquet or CSV under tmp_path and return the path."""

    def _write(table: pa.Table, name: str = "log.parquet") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv"):
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        return path

    return _write


@pytest.fixture
def make() -> Callable[..., pa.Table]:
    """The :func:`make_table` factory."""
    return make_table
