"""``modelward.triage``: read, summarise once, rank the causes of a degradation.

Examples
--------
>>> import modelward
>>> from modelward._triage_api import triage
>>> sim = modelward.simulate(domain="churn", fault="latency_regression", magnitude=0.8,
...                          days=24, rows_per_day=400, seed=2)
>>> res = triage(sim.log, reference_end=sim.truth["reference_end"], events=sim.events)
>>> res.findings[0].cause
'latency_regression'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from modelward._api import summarise
from modelward.analyses.triage import TriageResult, run_triage
from modelward.io.events import parse_event_time, read_events

__all__ = ["triage"]


def triage(
    log: Any,
    *,
    reference_end: str | date | datetime | None = None,
    reference: Any = None,
    events: str | Path | Sequence[Mapping[str, str]] | None = None,
    as_of: str | date | datetime | None = None,
    columns: Mapping[str, str] | None = None,
    config: str | Path | None = None,
    segments: Sequence[str] | None = None,
    min_confidence: float = 0.5,
    estimate: bool = True,
) -> TriageResult:
    """Rank the causes of a degradation in ``log`` against its reference window.

    Parameters
    ----------
    log
        Any source :func:`modelward.io.read_log` accepts.
    reference_end, reference
        The reference window: the last reference day of the same log, or a separate log.
    events
        An events CSV path, or a list of ``{timestamp, kind, description}`` dicts.
    as_of
        When labels were last collected (default: end of the last bucket).
    columns, config, segments
        Column-role mapping, config file and segment columns, as for ``read_log``.
    min_confidence
        Findings below this confidence are listed as ruled out.
    estimate
        When concept drift or label noise is found, compare the label-free
        performance estimate with realised performance as further evidence.
    """
    evs = read_events(events) if isinstance(events, str | Path) else list(events or [])
    summaries = summarise(
        log,
        reference_end=reference_end,
        reference=reference,
        columns=columns,
        config=config,
        segments=segments,
    )
    when = None
    if as_of is not None:
        text = as_of.isoformat() if isinstance(as_of, date | datetime) else str(as_of)
        when = parse_event_time(text)
    return run_triage(
        summaries, events=evs, as_of=when, min_confidence=min_confidence, estimate=estimate
    )
