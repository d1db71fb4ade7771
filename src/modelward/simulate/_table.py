"""Array helpers shared by the system generator and the fault injectors.

Timestamps are handled as int64 microseconds since the epoch (UTC) so every
operation is a vectorised numpy operation; columns are written back in the
type they came in.

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"ts": pa.array(["2026-01-01T06:00:00", "2026-01-02T00:00:00"])})
>>> times_us(t, "ts").tolist()
[1767247200000000, 1767312000000000]
>>> parse_instant("2026-01-02").isoformat()
'2026-01-02T00:00:00+00:00'
>>> iso_utc(parse_instant("2026-01-02T06:30:00"))
'2026-01-02T06:30:00Z'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward._exceptions import ConfigError, SimulationError

__all__ = [
    "DAY_US",
    "HOUR_US",
    "US_TYPE",
    "from_us",
    "instant_us",
    "iso_utc",
    "mask_unarrived_labels",
    "parse_instant",
    "parse_segment",
    "segment_mask",
    "times_us",
    "us_to_datetime",
]

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
#: Arrow type of every timestamp the simulator writes.
US_TYPE = pa.timestamp("us", tz="UTC")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def parse_instant(value: datetime | date | str) -> datetime:
    """An aware UTC datetime from a datetime, a date (midnight) or an ISO string.

    Raises
    ------
    ConfigError
        If a string is not an ISO date or datetime.
    """
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(
                f"A date must be ISO formatted (2026-02-03 or 2026-02-03T06:00:00Z). "
                f"Got {value!r} instead."
            ) from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def instant_us(value: datetime) -> int:
    """Microseconds since the epoch of an aware or naive-UTC datetime."""
    value = parse_instant(value)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def us_to_datetime(us: int) -> datetime:
    """The aware UTC datetime of microseconds since the epoch."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))


def iso_utc(value: datetime) -> str:
    """ISO 8601 with a ``Z`` suffix, seconds resolution."""
    return parse_instant(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def times_us(table: pa.Table, column: str) -> IntArray:
    """A timestamp (or ISO string) column as int64 microseconds; nulls become INT64_MIN.

    Raises
    ------
    SimulationError
        If the column is neither a timestamp nor parseable as one.
    """
    col = table.column(column)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        try:
            col = pc.cast(col, pa.timestamp("us"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SimulationError(
                f"column '{column}' holds text that is not an ISO timestamp: {exc}"
            ) from exc
    elif pa.types.is_date(col.type):
        col = pc.cast(col, pa.timestamp("us"))
    if not pa.types.is_timestamp(col.type):
        raise SimulationError(f"column '{column}' must be a timestamp. Got type {col.type}.")
    tz = col.type.tz
    col = pc.cast(col, pa.timestamp("us", tz=tz))
    ints = pc.cast(col, pa.int64())
    filled = pc.fill_null(ints, np.iinfo(np.int64).min)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def from_us(values: IntArray, valid: BoolArray | None, like: pa.DataType) -> pa.Array:
    """Microseconds back to an Arrow array of type ``like`` (nulls where not ``valid``)."""
    mask = None if valid is None else ~valid
    arr = pa.array(values, type=pa.int64(), mask=mask)
    if pa.types.is_timestamp(like):
        return pc.cast(pc.cast(arr, pa.timestamp("us", tz=like.tz)), like)
    ts = pc.cast(arr, pa.timestamp("us"))
    if pa.types.is_string(like) or pa.types.is_large_string(like):
        return pc.cast(pc.strftime(ts, format="%Y-%m-%dT%H:%M:%S"), like)
    return ts


def parse_segment(value: str | Mapping[str, str] | None) -> dict[str, str] | None:
    """A segment ``col=value`` (or mapping) as a one-entry dict.

    Raises
    ------
    ConfigError
        If the text is not of the form ``col=value``.

    Examples
    --------
    >>> parse_segment("country=US")
    {'country': 'US'}
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        seg = {str(k): str(v) for k, v in value.items()}
    else:
        col, sep, val = value.partition("=")
        if not sep or not col.strip() or not val.strip():
            raise ConfigError(f"A segment must look like column=value. Got {value!r} instead.")
        seg = {col.strip(): val.strip()}
    if len(seg) != 1:
        raise ConfigError(f"A segment names exactly one column=value. Got {seg!r} instead.")
    return seg


def segment_mask(table: pa.Table, segment: Mapping[str, str] | None) -> BoolArray:
    """Rows of ``table`` in the segment (every row when ``segment`` is None).

    Raises
    ------
    SimulationError
        If the column is missing or no row holds the value.
    """
    n = table.num_rows
    if not segment:
        return np.ones(n, dtype=bool)
    ((col, value),) = segment.items()
    if col not in table.column_names:
        raise SimulationError(
            f"Segment column {col!r} is not in the log. Columns: {', '.join(table.column_names)}."
        )
    as_text = pc.cast(table.column(col), pa.string())
    hits = pc.fill_null(pc.equal(as_text, value), False)
    mask = np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)
    if not mask.any():
        seen = pc.unique(as_text).drop_null().to_pylist()[:10]
        raise SimulationError(
            f"No row has {col} = {value!r}. Some values of {col!r}: {', '.join(map(str, seen))}."
        )
    return mask


def mask_unarrived_labels(
    table: pa.Table, *, label: str | None, label_time: str | None, as_of_us: int
) -> pa.Table:
    """Null the label and label timestamp of every row whose label arrives after ``as_of``."""
    if label is None or label_time is None:
        return table
    lt = times_us(table, label_time)
    valid = lt != np.iinfo(np.int64).min
    arrived = valid & (lt <= as_of_us)
    drop = pa.array(~arrived)
    lab = table.column(label)
    new_lab = pc.if_else(drop, pa.scalar(None, type=lab.type), lab)
    new_lt = from_us(lt, arrived, table.schema.field(label_time).type)
    table = table.set_column(table.schema.get_field_index(label), label, new_lab)
    return table.set_column(table.schema.get_field_index(label_time), label_time, new_lt)
