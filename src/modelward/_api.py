"""The Python API that mirrors the CLI: read, summarise once, analyse, store.

Examples
--------
>>> import modelward
>>> sim = modelward.simulate(domain="fraud", fault="none", days=20, rows_per_day=300, seed=1)
>>> result = modelward.check(sim.log, reference_end=sim.truth["reference_end"])
>>> result.n_rows == sim.log.num_rows
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from modelward.analyses.check import run_check
from modelward.analyses.results import CheckResult
from modelward.engine import Summaries, get_engine
from modelward.io import PredictionLog, read_log
from modelward.store import Store

__all__ = ["check", "save_check", "summarise"]

TimeLike = str | date | datetime | None


def _as_log(
    source: Any,
    *,
    columns: Mapping[str, str] | None,
    config: str | Path | None,
    segments: Sequence[str] | None,
) -> PredictionLog:
    if isinstance(source, PredictionLog):
        return source
    return read_log(source, columns=columns, config=config, segments=segments)


def summarise(
    log: Any,
    *,
    reference_end: TimeLike = None,
    reference_start: TimeLike = None,
    reference: Any = None,
    columns: Mapping[str, str] | None = None,
    config: str | Path | None = None,
    segments: Sequence[str] | None = None,
    bucket: str = "day",
    engine: str = "duckdb",
    progress: Callable[[float], None] | None = None,
) -> Summaries:
    """Read ``log`` (any source of :func:`modelward.io.read_log`) and scan it once.

    Give the reference window either as a date range of the same log
    (``reference_end``, inclusive, and optionally ``reference_start``) or as a
    separate log (``reference``).
    """
    plog = _as_log(log, columns=columns, config=config, segments=segments)
    ref = None
    if reference is not None:
        ref = _as_log(reference, columns=columns, config=config, segments=segments or plog.segments)
    return get_engine(engine).summarise(
        plog,
        reference_end=reference_end,
        reference_start=reference_start,
        reference=ref,
        bucket=bucket,
        progress=progress,
    )


def check(
    log: Any,
    *,
    reference_end: TimeLike = None,
    reference_start: TimeLike = None,
    reference: Any = None,
    columns: Mapping[str, str] | None = None,
    config: str | Path | None = None,
    segments: Sequence[str] | None = None,
    bucket: str = "day",
    engine: str = "duckdb",
    alpha: float = 0.05,
    confidence: float = 0.95,
    seed: int = 0,
) -> CheckResult:
    """The morning check: one scan, then health, drift, performance and latency.

    Returns the same content as ``report.json`` of ``modelward check``.
    """
    summaries = summarise(
        log,
        reference_end=reference_end,
        reference_start=reference_start,
        reference=reference,
        columns=columns,
        config=config,
        segments=segments,
        bucket=bucket,
        engine=engine,
    )
    return run_check(summaries, alpha=alpha, confidence=confidence, seed=seed)


def save_check(
    store: Store,
    *,
    system: str,
    result: CheckResult,
    summaries: Summaries,
    parameters: Mapping[str, Any],
) -> str:
    """Store a check as one run (one transaction); returns the run id."""
    meta, tables = summaries.to_arrow_dict()
    return store.save_run(
        system=system,
        kind="check",
        source=result.source,
        parameters=dict(parameters),
        meta=meta,
        results=result.model_dump(mode="json"),
        tables=tables,
    )
