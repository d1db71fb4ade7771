"""Window bounds as the engines compare them: naive UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from modelward._exceptions import ConfigError

__all__ = ["parse_bound"]


def parse_bound(value: str | date | datetime | None, *, end: bool) -> datetime | None:
    """A window bound as a naive UTC datetime.

    A bare date as ``end`` includes that whole day; a zone-aware datetime is
    converted to UTC (log timestamps are read as UTC).

    Examples
    --------
    >>> parse_bound("2026-01-14", end=True)
    datetime.datetime(2026, 1, 15, 0, 0)
    >>> parse_bound("2026-01-14T06:00:00+02:00", end=False)
    datetime.datetime(2026, 1, 14, 4, 0)
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed: date | datetime = (
                date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value)
            )
        except ValueError as exc:
            raise ConfigError(f"Cannot parse {value!r} as a date or timestamp.") from exc
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)
    start = datetime(value.year, value.month, value.day)
    return start + timedelta(days=1) if end else start
