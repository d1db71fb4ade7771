"""Shared fixtures for the analyses tests: simulated and hand-made logs -> summaries.

``summarise_sim(domain=..., fault=..., **kw)`` simulates a log (small volume
for speed), summarises it with the DuckDB engine on the simulator's reference
end and returns ``(summaries, truth)``; results are cached per session.
``summarise_table(table, reference_end)`` does the same for a hand-made
Arrow table. ``make_log(...)`` builds such a table with independent features.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelward.engine.duckdb_engine import DuckDBEngine
from modelward.engine.summaries import Summaries
from modelward.io.reader import read_log
from modelward.simulate import simulate

T0 = dt.datetime(2026, 1, 1)
SimFn = Callable[..., tuple[Summaries, dict[str, Any]]]


def summarise_table(table: pa.Table, reference_end: str) -> Summaries:
    """Summaries of an Arrow log with the reference window ending on ``reference_end``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return DuckDBEngine().summarise(read_log(table), reference_end=reference_end)


def make_log(
    *,
    days: int = 30,
    rows_per_day: int = 400,
    seed: int = 0,
    shift_from: int | None = None,
    shift: dict[str, float] | None = None,
    correlate_from: int | None = None,
) -> pa.Table:
    """A binary-task log with independent features ``a``, ``b``, ``c`` (normal) and ``g``.

    From day ``shift_from`` the features in ``shift`` move by that many standard
    deviations; from day ``correlate_from`` ``a`` and ``b`` become correlated
    (rho 0.9) with unchanged marginals.
    """
    rng = np.random.default_rng(seed)
    n = days * rows_per_day
    day = np.repeat(np.arange(days), rows_per_day)
    ts = [
        T0 + dt.timedelta(days=int(d), seconds=int(s))
        for d, s in zip(day, rng.integers(0, 86_400, n), strict=False)
    ]
    cols = {k: rng.standard_normal(n) for k in ("a", "b", "c")}
    if correlate_from is not None:
        late = day >= correlate_from
        cols["b"] = np.where(late, 0.9 * cols["a"] + np.sqrt(1 - 0.81) * cols["b"], cols["b"])
    for k, v in (shift or {}).items():
        cols[k] = np.where(day >= (shift_from or 0), cols[k] + v, cols[k])
    score = 1 / (1 + np.exp(-(cols["a"] + 0.5 * cols["c"])))
    label = (rng.random(n) < score).astype(np.int64)
    return pa.table(
        {
            "prediction_id": [f"p{i}" for i in range(n)],
            "timestamp": pa.array(ts, pa.timestamp("us")),
            "score": score,
            "prediction": (score >= 0.5).astype(np.int64),
            "label": label,
            "label_timestamp": pa.array(
                [t + dt.timedelta(hours=2) for t in ts], pa.timestamp("us")
            ),
            **cols,
            "g": rng.choice(["x", "y", "z"], n),
        }
    )


@pytest.fixture(scope="session")
def summarise_sim() -> SimFn:
    """A cached ``(domain, fault, **kw) -> (summaries, truth)`` on small simulated logs."""
    cache: dict[tuple[Any, ...], tuple[Summaries, dict[str, Any]]] = {}

    def run(
        *, domain: str = "fraud", fault: str = "none", **kw: Any
    ) -> tuple[Summaries, dict[str, Any]]:
        kw.setdefault("days", 36)
        kw.setdefault("rows_per_day", 300)
        key = (domain, fault, *sorted(kw.items()))
        if key not in cache:
            r = simulate(domain=domain, fault=fault, **kw)
            cache[key] = (summarise_table(r.log, str(r.truth["reference_end"])), r.truth)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def log_factory() -> Callable[..., pa.Table]:
    """:func:`make_log` as a fixture."""
    return make_log


@pytest.fixture(scope="session")
def summarise() -> Callable[[pa.Table, str], Summaries]:
    """:func:`summarise_table` as a fixture."""
    return summarise_table
