"""Read the events file (CSV: ``timestamp,kind,description``) that triage correlates onsets with.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
>>> _ = p.write_text("timestamp,kind,description\\n2026-01-20T10:00:00Z,deploy,v2\\n")
>>> read_events(p)
[{'timestamp': '2026-01-20T10:00:00Z', 'kind': 'deploy', 'description': 'v2'}]
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from modelward._exceptions import LogFormatError, LogNotFoundError, LogSchemaError

__all__ = ["EVENT_COLUMNS", "normalise_events", "parse_event_time", "read_events"]

#: Columns of the events file, in order.
EVENT_COLUMNS: tuple[str, ...] = ("timestamp", "kind", "description")


def parse_event_time(text: str) -> datetime:
    """Parse an ISO 8601 instant (``Z`` or offset; naive means UTC) to an aware UTC datetime.

    Raises
    ------
    ValueError
        When ``text`` is not ISO 8601.
    """
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_events(
    rows: Iterable[Mapping[str, object]], *, source: str = "<events>"
) -> list[dict[str, str]]:
    """Validate event dicts and return them sorted, with ISO UTC ``Z`` timestamps.

    Raises
    ------
    LogSchemaError
        On a missing column, an unparseable timestamp or an empty kind, naming the
        row (0-based, data rows only).
    """
    out: list[tuple[datetime, dict[str, str]]] = []
    for i, row in enumerate(rows):
        for col in ("timestamp", "kind"):
            if col not in row:
                raise LogSchemaError(f"missing column {col!r}", source=source, column=col)
        raw = str(row["timestamp"] or "")
        try:
            when = parse_event_time(raw)
        except ValueError:
            raise LogSchemaError(
                "not an ISO 8601 timestamp", source=source, column="timestamp", row=i, value=raw
            ) from None
        kind = str(row["kind"] or "").strip()
        if not kind:
            raise LogSchemaError("empty event kind", source=source, column="kind", row=i)
        desc = str(row.get("description") or "").strip()
        out.append((when, {"timestamp": _iso(when), "kind": kind, "description": desc}))
    out.sort(key=lambda e: (e[0], e[1]["kind"]))
    return [e for _, e in out]


def read_events(path: str | Path) -> list[dict[str, str]]:
    """Read and validate an events CSV.

    Raises
    ------
    LogNotFoundError
        When the file does not exist.
    LogFormatError
        When it is not a readable CSV with a header.
    LogSchemaError
        When a required column is missing or a value is bad.
    """
    p = Path(path)
    if not p.is_file():
        raise LogNotFoundError("events file not found", source=str(p))
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            if not header:
                raise LogFormatError(
                    "empty file: expected a header timestamp,kind,description", source=str(p)
                )
            missing = [c for c in ("timestamp", "kind") if c not in header]
            if missing:
                raise LogSchemaError(
                    f"missing column {missing[0]!r} (header: {', '.join(header)})",
                    source=str(p),
                    column=missing[0],
                )
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise LogFormatError(f"not UTF-8 text: {exc.reason}", source=str(p)) from exc
    return normalise_events(rows, source=str(p))
