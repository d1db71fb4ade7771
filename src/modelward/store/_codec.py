"""Encoding helpers of the store: run ids, JSON columns, Arrow <-> DuckDB storage."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

import numpy as np
import pyarrow as pa

from modelward._exceptions import StoreError

__all__ = [
    "RESERVED_COLUMNS",
    "decode_json",
    "encode_json",
    "from_storage",
    "new_run_id",
    "storage_name",
    "to_storage",
    "to_utc_naive",
    "utc_aware",
]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_TIME_CHARS = 9  # 45 bits of milliseconds: good until the year 3084
_RANDOM_CHARS = 4  # 20 random bits
RUN_ID_LENGTH = _TIME_CHARS + _RANDOM_CHARS
RESERVED_COLUMNS = ("_mw_run_id", "_mw_row")

_last_ms = 0
_lock = threading.Lock()


def _base32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_run_id(*, now_ms: int | None = None) -> str:
    """Return a new run id: 9 base32 characters of milliseconds, then 4 random ones.

    Ids sort by creation time; ids made by one process are strictly increasing
    even within a millisecond.

    Examples
    --------
    >>> a, b = new_run_id(), new_run_id()
    >>> len(a), a < b
    (13, True)
    >>> new_run_id(now_ms=0)[:9]
    '000000000'
    """
    global _last_ms
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if now_ms is None:
            ms = max(ms, _last_ms + 1)
            _last_ms = ms
    rand = int.from_bytes(os.urandom(3), "big") & ((1 << 20) - 1)
    return _base32(ms, _TIME_CHARS) + _base32(rand, _RANDOM_CHARS)


def _jsonable(value: Any, where: str) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise StoreError(f"cannot store {where}: key {key!r} is not a string")
            out[key] = _jsonable(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, np.generic):
        return _jsonable(value.item(), where)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), where)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    raise StoreError(
        f"cannot store {where}: {type(value).__name__} value {value!r} is not JSON-serialisable"
    )


def encode_json(value: Mapping[str, Any], *, name: str) -> str:
    """Encode a dict as JSON text for a JSON column (NaN and infinities are kept).

    Numpy scalars and arrays become numbers and lists, datetimes ISO strings,
    paths strings; anything else is refused with the key that holds it.

    Examples
    --------
    >>> encode_json({"auc": float("nan"), "n": np.int64(3)}, name="results")
    '{"auc": NaN, "n": 3}'
    >>> encode_json({"x": object()}, name="results")
    Traceback (most recent call last):
    ...
    modelward._exceptions.StoreError: cannot store results['x']: object value ...
    """
    return json.dumps(_jsonable(value, name), allow_nan=True, ensure_ascii=False)


def decode_json(text: str | None) -> dict[str, Any]:
    """Decode a JSON column back into a dict.

    Examples
    --------
    >>> decode_json('{"auc": NaN}')["auc"] != decode_json('{"auc": NaN}')["auc"]
    True
    """
    if text is None:
        return {}
    out = json.loads(text)
    if not isinstance(out, dict):
        raise StoreError(f"stored JSON is not an object: {text[:80]!r}")
    return out


def to_utc_naive(moment: datetime) -> datetime:
    """Convert a datetime to naive UTC (naive input is taken as UTC already).

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> to_utc_naive(datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    datetime.datetime(2026, 1, 1, 0, 0)
    """
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_aware(moment: datetime) -> datetime:
    """Mark a naive UTC datetime read from the store as UTC.

    Examples
    --------
    >>> utc_aware(datetime(2026, 1, 1)).isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _storable_type(dtype: pa.DataType) -> pa.DataType:
    """The Arrow type a column is written to DuckDB with (cast back on load)."""
    if pa.types.is_dictionary(dtype):
        return _storable_type(dtype.value_type)
    if pa.types.is_float16(dtype):
        return pa.float32()
    if pa.types.is_large_list(dtype) or pa.types.is_list(dtype):
        inner = _storable_type(dtype.value_type)
        return pa.list_(inner) if inner != dtype.value_type else dtype
    if pa.types.is_struct(dtype):
        fields = [dtype.field(i) for i in range(dtype.num_fields)]
        new = [f.with_type(_storable_type(f.type)) for f in fields]
        return pa.struct(new) if new != fields else dtype
    return dtype


def to_storage(table: pa.Table, *, name: str) -> pa.Table:
    """Prepare an Arrow table for DuckDB: storable types plus a ``_mw_row`` ordinal.

    Raises
    ------
    StoreError
        If a column name is reserved or repeated (DuckDB names ignore case).

    Examples
    --------
    >>> t = to_storage(pa.table({"x": pa.array([1.5], pa.float16())}), name="t")
    >>> t.schema.names, t.column("x").type
    (['_mw_row', 'x'], DataType(float))
    """
    seen: dict[str, str] = {}
    for column in table.column_names:
        if column in RESERVED_COLUMNS:
            raise StoreError(f"cannot store table {name!r}: column name {column!r} is reserved")
        folded = column.lower()
        if folded in seen:
            raise StoreError(
                f"cannot store table {name!r}: columns {seen[folded]!r} and {column!r} "
                "differ only by case (DuckDB column names ignore case)"
            )
        seen[folded] = column
    target = pa.schema([f.with_type(_storable_type(f.type)) for f in table.schema])
    body = table.cast(target) if target != table.schema.remove_metadata() else table
    ordinal = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return body.add_column(0, "_mw_row", ordinal).replace_schema_metadata(None)


def from_storage(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a table read from DuckDB back to the schema it was saved with.

    Dictionary columns are rebuilt over the whole column (one chunk), so their
    dictionary lists the values in order of first appearance, as
    ``dictionary_encode`` makes it; a dictionary with unused values or another
    order comes back with the same values but that canonical dictionary.

    Examples
    --------
    >>> original = pa.schema([pa.field("x", pa.float16())], metadata={"k": "v"})
    >>> from_storage(pa.table({"x": pa.array([1.5], pa.float32())}), original).schema
    x: halffloat
    -- schema metadata --
    k: 'v'
    """
    if any(pa.types.is_dictionary(field.type) for field in schema):
        table = table.combine_chunks()
    return table.cast(schema)


def storage_name(table_name: str, schema: pa.Schema) -> str:
    """Name of the DuckDB table holding the rows of tables called ``table_name``
    with this column layout.

    Examples
    --------
    >>> storage_name("numeric_bins", pa.schema([("bin", pa.int16())]))[:21]
    'summary_numeric_bins_'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", table_name.lower()).strip("_")[:40] or "table"
    layout = ";".join(f"{f.name}:{f.type}" for f in schema)
    digest = hashlib.sha256(f"{table_name}\n{layout}".encode()).hexdigest()[:10]
    return f"summary_{slug}_{digest}"
