"""What every engine shares around a scan: parameter checks, window bounds, the meta record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from modelward._exceptions import ConfigError
from modelward.engine.summaries import Bins, SummariesMeta

__all__ = ["check_parameters", "parse_bound", "scan_meta"]


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


def check_parameters(
    *,
    bucket: str,
    numeric_bins: int,
    max_categories: int,
    score_bins: int,
    sample_size: int,
    latency_accuracy: float,
    two_references: bool,
) -> None:
    """Refuse bad ``summarise`` parameters, one message format for all engines.

    Examples
    --------
    >>> check_parameters(bucket="day", numeric_bins=0, max_categories=50, score_bins=1000,
    ...                  sample_size=500, latency_accuracy=0.01, two_references=False)
    Traceback (most recent call last):
    ...
    modelward._exceptions.ConfigError: The 'numeric_bins' parameter must be an int >= 1. Got 0.
    """
    if bucket not in ("hour", "day", "week"):
        raise ConfigError(f"The 'bucket' parameter must be hour, day or week. Got {bucket!r}.")
    for pname, pval, lo in (
        ("numeric_bins", numeric_bins, 1),
        ("max_categories", max_categories, 1),
        ("score_bins", score_bins, 1),
        ("sample_size", sample_size, 0),
    ):
        if not isinstance(pval, int) or pval < lo:
            raise ConfigError(f"The {pname!r} parameter must be an int >= {lo}. Got {pval!r}.")
    if not 0.0 < latency_accuracy < 1.0:
        raise ConfigError(
            f"The 'latency_accuracy' parameter must be in (0, 1). Got {latency_accuracy!r}."
        )
    if two_references:
        raise ConfigError("Give either a reference log or a reference date range, not both.")


def scan_meta(
    log: Any,
    reference: Any,
    *,
    engine: str,
    bucket: str,
    start: datetime | None,
    end: datetime | None,
    bins: Bins,
    score_bins: int,
    latency_accuracy: float,
    sample_size: int,
    n_rows: int,
) -> SummariesMeta:
    """The meta record of one scan, the same for every engine.

    ``log`` and ``reference`` are the engine's own log objects (a
    :class:`~modelward.io.PredictionLog` or a Spark log): anything with
    ``source``, ``roles``, ``task``, ``features``, ``segments`` and ``schema``.
    """
    return SummariesMeta(
        bucket=bucket,
        reference_start=start.isoformat() if start else None,
        reference_end=end.isoformat() if end else None,
        reference_source=reference.source if reference is not None else ("range" if end else None),
        source=log.source,
        roles=log.roles.as_dict(),
        task=log.task,
        features=[{"name": f.name, "kind": f.kind, "dtype": f.dtype} for f in log.features],
        segments=list(log.segments),
        schema=dict(log.schema),
        reference_schema=dict(reference.schema) if reference is not None else dict(log.schema),
        numeric_edges=bins.numeric_edges,
        categories=bins.categories,
        other_categories=bins.other_categories,
        score_bins=score_bins,
        latency_accuracy=latency_accuracy,
        sample_size=sample_size,
        n_rows=n_rows,
        engine=engine,
    )
