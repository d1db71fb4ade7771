"""Shared builders of the triage tests' hand-made logs and simulated runs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward._api import summarise
from modelward.analyses.triage import run_triage
from modelward.analyses.triage.results import TriageResult
from modelward.io.events import parse_event_time
from modelward.simulate import simulate

UTC_US = pa.timestamp("us", tz="UTC")


def spread_over_days(
    rng: np.random.Generator, day: npt.NDArray[np.int64], start: str
) -> npt.NDArray[np.datetime64]:
    """One uniform instant inside each row's day, counted from ``start``."""
    t0 = np.datetime64(f"{start}T00:00:00", "us")
    secs = (day * 86400 + rng.uniform(0, 86400, day.size)).astype("int64")
    return t0 + secs * np.timedelta64(1, "s")


def after_hours(
    t: npt.NDArray[np.datetime64], hours: npt.NDArray[np.float64]
) -> npt.NDArray[np.datetime64]:
    """``t`` plus ``hours`` (to the second)."""
    return t + (hours * 3600).astype("int64") * np.timedelta64(1, "s")


def binary_log(
    t: npt.NDArray[np.datetime64],
    score: npt.NDArray[np.float64],
    y: npt.NDArray[np.int64],
    label_time: npt.NDArray[np.datetime64],
    *,
    threshold: float = 0.5,
    unlabelled: npt.NDArray[np.bool_] | None = None,
    **columns: object,
) -> pa.Table:
    """A binary-task log in the contract's default column names, plus ``columns``."""
    return pa.table(
        {
            "prediction_id": pa.array([f"p{i}" for i in range(t.size)]),
            "timestamp": pa.array(t, UTC_US),
            "score": pa.array(score),
            "prediction": pa.array((score >= threshold).astype(np.int64)),
            "label": pa.array(y, mask=unlabelled),
            "label_timestamp": pa.array(label_time, UTC_US, mask=unlabelled),
            **{k: pa.array(v) for k, v in columns.items()},
        }
    )


def triage_simulated(**params: object) -> TriageResult:
    """Simulate a system with ``params``, summarise it once and triage it (no estimate)."""
    sim = simulate(**params)  # type: ignore[arg-type]
    s = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    return run_triage(
        s, events=sim.events, as_of=parse_event_time(str(sim.truth["as_of"])), estimate=False
    )
