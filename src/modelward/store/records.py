"""The records the store hands out and takes in: runs and alerts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

__all__ = ["Alert", "RunInfo", "StoredAlert", "StoredRun"]


@dataclass(frozen=True)
class RunInfo:
    """What a listing says about one stored run.

    Attributes
    ----------
    run_id
        Sortable id: later runs have larger ids.
    system
        The monitored system the run belongs to.
    created_at
        When the run was saved (UTC, timezone-aware).
    kind
        What produced it: ``"check"``, ``"triage"``, ...
    source
        The log (or other input) the run was computed from.
    status
        The caller's verdict on the run, e.g. ``"ok"``, ``"alert"``.
    tables
        The names of the run's Arrow tables, in the order they were given.
    """

    run_id: str
    system: str
    created_at: datetime
    kind: str
    source: str
    status: str
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredRun:
    """One run read back in full.

    Attributes
    ----------
    info
        The run's :class:`RunInfo`.
    parameters, meta, results
        The dicts given to :meth:`Store.save_run`, as JSON round-trips them
        (tuples come back as lists, numpy scalars as Python numbers).
    tables
        The Arrow tables, with exactly the schemas they were saved with.
    """

    info: RunInfo
    parameters: dict[str, Any]
    meta: dict[str, Any]
    results: dict[str, Any]
    tables: Mapping[str, pa.Table]

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.info.run_id

    @property
    def system(self) -> str:
        """The run's system."""
        return self.info.system


@dataclass(frozen=True)
class Alert:
    """An alert to store: a constraint that is (or was) violated.

    Attributes
    ----------
    name
        The constraint or alert name, e.g. ``"p99_latency <= 200ms"``.
    severity
        ``"info"``, ``"warning"`` or ``"critical"`` (free text is kept as given).
    since
        When the violation started (naive datetimes are taken as UTC), if known.
    status
        ``"open"`` or ``"resolved"``.
    detail
        Anything JSON can hold: observed value, limit, evidence.
    """

    name: str
    severity: str
    since: datetime | None = None
    status: str = "open"
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredAlert:
    """An alert read back from the store, with the run and system that raised it."""

    alert_id: int
    run_id: str
    system: str
    name: str
    severity: str
    since: datetime | None
    status: str
    detail: dict[str, Any]
    created_at: datetime
