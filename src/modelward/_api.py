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

from modelward._exceptions import LogSchemaError, PolicyError
from modelward.analyses.check import run_check
from modelward.analyses.policy import Policy, parse_policy
from modelward.analyses.results import CheckResult
from modelward.analyses.triggers import TriggerState
from modelward.engine import Summaries, get_engine
from modelward.io import PredictionLog, read_log, reference_window
from modelward.store import Alert, Store

__all__ = ["check", "read_policy", "save_check", "summarise", "trigger_alerts"]

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
    if type(source).__module__.startswith("pyspark."):
        # a Spark DataFrame stays in Spark: the spark engine reads it itself
        return source  # type: ignore[no-any-return]
    return read_log(source, columns=columns, config=config, segments=segments)


def _check_windows(
    log: PredictionLog, *, reference_end: TimeLike, reference_start: TimeLike
) -> None:
    """Refuse a reference window outside the log, or one that leaves no current rows."""
    assert reference_end is not None
    _, end = reference_window(log, reference_end=reference_end, reference_start=reference_start)
    time = log.roles.time
    assert time is not None
    q = '"' + time.replace('"', '""') + '"'
    row = log.con.execute(f'SELECT max({q}) FROM "{log.view}"').fetchone()
    last = row[0] if row else None
    if last is None or last < end:
        raise LogSchemaError(
            f"the current window is empty: every row is on or before the reference end "
            f"{reference_end} (last row at {last}); give an earlier --reference-end",
            source=log.source,
            column=time,
        )


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
    if reference_end is not None and isinstance(plog, PredictionLog):
        _check_windows(plog, reference_end=reference_end, reference_start=reference_start)
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
    policy: Policy | str | Path | None = None,
) -> CheckResult:
    """The morning check: one scan, then health, drift, performance and latency.

    Returns the same content as ``report.json`` of ``modelward check``. With a
    ``policy`` (a :class:`Policy` or a policy file), its constraints are
    evaluated as rollback triggers on each live window.
    """
    if policy is not None and not isinstance(policy, Policy):
        policy = read_policy(policy)
    plog = _as_log(log, columns=columns, config=config, segments=segments)
    if policy is not None and set(policy.segment_columns) - set(plog.segments):
        wanted = [*plog.segments, *sorted(set(policy.segment_columns) - set(plog.segments))]
        plog = _as_log(log, columns=columns, config=config, segments=wanted)
    summaries = summarise(
        plog,
        reference_end=reference_end,
        reference_start=reference_start,
        reference=reference,
        columns=columns,
        config=config,
        segments=segments,
        bucket=bucket,
        engine=engine,
    )
    return run_check(summaries, alpha=alpha, confidence=confidence, seed=seed, policy=policy)


def save_check(
    store: Store,
    *,
    system: str,
    result: CheckResult,
    summaries: Summaries,
    parameters: Mapping[str, Any],
) -> str:
    """Store a check, its summaries and its fired triggers as one run (one transaction).

    Returns the run id.
    """
    meta, tables = summaries.to_arrow_dict()
    return store.save_run(
        system=system,
        kind="check",
        source=result.source,
        parameters=dict(parameters),
        meta=meta,
        results=result.model_dump(mode="json"),
        tables=tables,
        alerts=trigger_alerts(result.triggers),
    )


def read_policy(path: str | Path) -> Policy:
    """Read and validate a policy file (one ``PolicyError`` naming file, line and key)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{p}: policy file not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{p}: cannot read the policy file: {exc}") from None
    return parse_policy(text, source=str(p))


def trigger_alerts(states: list[TriggerState]) -> list[Alert]:
    """Firing triggers as store alerts (``severity`` critical for block, warning for warn)."""
    out = []
    for s in states:
        if s.status != "firing":
            continue
        where = f" [{s.segment}={s.segment_value}]" if s.segment_value else ""
        last = s.windows[-1] if s.windows else None
        out.append(
            Alert(
                name=f"rollback: {s.constraint}{where}",
                severity="critical" if s.severity == "block" else "warning",
                since=s.since,
                detail={
                    "metric": s.metric,
                    "limit_kind": s.limit_kind,
                    "limit": s.limit,
                    "segment": s.segment,
                    "segment_value": s.segment_value,
                    "k": s.k,
                    "consecutive_failures": s.consecutive_failures,
                    "fired_at": s.fired_at.isoformat() if s.fired_at else None,
                    "window_confidence": s.window_confidence,
                    "last_estimate": last.estimate if last else None,
                    "last_interval": [last.low, last.high] if last else None,
                },
            )
        )
    return out
