"""Content-addressed dataset versions: ``modelward data add`` and ``modelward data log``.

A version is a file or folder's content address (DVC's MD5, see
:mod:`modelward.lineage.hashing`), its schema and a profile (rows, and per
column nulls, min and max), computed by one DuckDB aggregate over the data
without loading it into Python. Adding content a dataset already has makes no
new version. Each version becomes a ``dataset:NAME@N`` node of the lineage
graph, linked to the source it came from.

Examples
--------
>>> import tempfile, pathlib
>>> from modelward.store import Store
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "t.csv").write_text("a,b\\n1,x\\n2,\\n")
>>> with Store(root / "s.duckdb") as store:
...     v1 = add_dataset(store, root / "t.csv", name="train")
...     again = add_dataset(store, root / "t.csv", name="train")
>>> v1.version, v1.rows, v1.schema, again.created, again.version
(1, 2, {'a': 'BIGINT', 'b': 'VARCHAR'}, False, 1)
>>> v1.profile["columns"]["a"]
{'nulls': 0, 'min': 1.0, 'max': 2.0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from modelward._exceptions import ConfigError, LogFormatError
from modelward.lineage._store import connection, decode, encode, now_utc, transaction
from modelward.lineage.graph import LineageGraph, format_node_id
from modelward.lineage.hashing import ContentHash, content_hash
from modelward.store import Store

__all__ = [
    "DatasetVersion",
    "SchemaChange",
    "add_dataset",
    "dataset_log",
    "dataset_names",
    "profile_data",
    "schema_change",
]

_READERS = {
    ".parquet": "read_parquet",
    ".pq": "read_parquet",
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".txt": None,
    ".json": "read_json_auto",
    ".jsonl": "read_json_auto",
    ".ndjson": "read_json_auto",
}
_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)


@dataclass(frozen=True)
class DatasetVersion:
    """One stored version of a dataset.

    Attributes
    ----------
    name, version
        The dataset and its version number (1, 2, ...).
    hash
        Content address (DVC-compatible MD5, ``.dir`` suffix for a folder).
    path, source
        Where the content was read from, and the source it came from.
    created_at
        When the version was stored (naive UTC).
    rows, files, size
        Row count (``None`` if not tabular), number of files, bytes.
    schema
        Column name -> DuckDB type (empty if not tabular).
    profile
        ``{"rows": n, "columns": {col: {"nulls", "min", "max"}}}``.
    created
        False when this content was already a version (nothing was added).
    """

    name: str
    version: int
    hash: str
    path: str
    source: str | None
    created_at: datetime
    rows: int | None
    files: int
    size: int
    schema: Mapping[str, str] = field(default_factory=dict)
    profile: Mapping[str, Any] = field(default_factory=dict)
    created: bool = True

    @property
    def node_id(self) -> str:
        """Its node in the lineage graph."""
        return format_node_id("dataset", self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "path": self.path,
            "source": self.source,
            "created_at": self.created_at.isoformat() + "Z",
            "rows": self.rows,
            "files": self.files,
            "bytes": self.size,
            "schema": dict(self.schema),
            "profile": dict(self.profile),
        }


@dataclass(frozen=True)
class SchemaChange:
    """Columns added, removed and retyped (``(column, old type, new type)``) between versions."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "retyped": [{"column": c, "from": a, "to": b} for c, a, b in self.retyped],
        }


def schema_change(old: Mapping[str, str], new: Mapping[str, str]) -> SchemaChange:
    """How a schema changed.

    Examples
    --------
    >>> schema_change({"a": "BIGINT", "b": "VARCHAR"}, {"a": "DOUBLE", "c": "DATE"})
    SchemaChange(added=('c',), removed=('b',), retyped=(('a', 'BIGINT', 'DOUBLE'),))
    """
    return SchemaChange(
        added=tuple(c for c in new if c not in old),
        removed=tuple(c for c in old if c not in new),
        retyped=tuple((c, old[c], new[c]) for c in new if c in old and old[c] != new[c]),
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tabular_files(path: Path, content: ContentHash) -> tuple[str | None, list[Path]]:
    files = [path] if not content.is_dir else [path / e["relpath"] for e in content.manifest]
    readers = {_READERS.get(f.suffix.lower()) for f in files}
    if len(readers) != 1 or None in readers or not files:
        return None, []
    return readers.pop(), files


def profile_data(
    path: str | Path, content: ContentHash | None = None
) -> tuple[int | None, dict[str, str], dict[str, Any]]:
    """Rows, schema and profile of a file or folder (one DuckDB aggregate).

    A file or a folder whose files are all Parquet, all CSV/TSV or all JSON lines
    is tabular; anything else (a model file, images, mixed formats) gets no
    rows, an empty schema and a profile with only the file count.

    Raises
    ------
    LogFormatError
        If a file with a tabular extension cannot be read.
    """
    p = Path(path)
    content = content or content_hash(p)
    reader, files = _tabular_files(p, content)
    if reader is None:
        return None, {}, {"rows": None, "files": content.files, "columns": {}}
    listing = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    options = ", union_by_name = true" if reader != "read_json_auto" else ""
    if reader == "read_csv":
        options += ", header = true"
    relation = f"{reader}({listing}{options})"
    con = duckdb.connect()
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        schema = {str(r[0]): str(r[1]) for r in described}
        parts = ["count(*)"]
        for col, dtype in schema.items():
            parts.append(f"count(*) - count({_q(col)})")
            if dtype.startswith(_NUMERIC):
                parts.append(f"min({_q(col)})::DOUBLE")
                parts.append(f"max({_q(col)})::DOUBLE")
        row = con.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchone()
    except duckdb.Error as exc:
        raise LogFormatError(f"cannot read it as a table: {exc}", source=str(p)) from exc
    finally:
        con.close()
    assert row is not None
    values = list(row)
    rows = int(values.pop(0))
    columns: dict[str, Any] = {}
    for col, dtype in schema.items():
        stats: dict[str, Any] = {"nulls": int(values.pop(0))}
        if dtype.startswith(_NUMERIC):
            low, high = values.pop(0), values.pop(0)
            stats["min"] = None if low is None else float(low)
            stats["max"] = None if high is None else float(high)
        columns[col] = stats
    return rows, schema, {"rows": rows, "files": content.files, "columns": columns}


_SELECT = (
    "SELECT name, version, hash, path, source, created_at, n_rows, n_files, n_bytes, schema, "
    "profile FROM dataset_versions"
)


def _version(row: Sequence[Any], *, created: bool = True) -> DatasetVersion:
    return DatasetVersion(
        name=row[0],
        version=int(row[1]),
        hash=row[2],
        path=row[3],
        source=row[4],
        created_at=row[5],
        rows=None if row[6] is None else int(row[6]),
        files=int(row[7]),
        size=int(row[8]),
        schema=decode(row[9]) or {},
        profile=decode(row[10]) or {},
        created=created,
    )


def find_version(con: Any, name: str, hash_: str) -> DatasetVersion | None:
    """The version of ``name`` with content ``hash_``, if stored."""
    row = con.execute(f"{_SELECT} WHERE name = ? AND hash = ?", [name, hash_]).fetchone()
    return None if row is None else _version(row, created=False)


def insert_version(
    con: Any,
    graph: LineageGraph,
    *,
    name: str,
    hash_: str,
    path: str,
    source: str | None,
    files: int,
    size: int,
    manifest: Sequence[Mapping[str, str]],
    rows: int | None,
    schema: Mapping[str, str],
    profile: Mapping[str, Any],
) -> DatasetVersion:
    """Store a new version (inside an open transaction) unless its content is stored.

    Also records the ``dataset:NAME@N`` node and, with ``source``, the edge
    from ``source:SOURCE``.
    """
    existing = find_version(con, name, hash_)
    if existing is not None:
        return existing
    top = con.execute(
        "SELECT coalesce(max(version), 0) FROM dataset_versions WHERE name = ?", [name]
    ).fetchone()
    version = int(top[0]) + 1
    now = now_utc()
    con.execute(
        "INSERT INTO dataset_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name,
            version,
            hash_,
            path,
            source,
            now,
            rows,
            files,
            size,
            encode(dict(schema)),
            encode(dict(profile)),
            encode([dict(m) for m in manifest]),
        ],
    )
    node = format_node_id("dataset", name, version)
    attrs = {
        "hash": hash_,
        "path": path,
        "rows": rows,
        "schema": dict(schema),
        "profile": dict(profile),
    }
    if source:
        attrs["source"] = source
    graph.upsert_node(con, node, "dataset", name, str(version), attrs)
    if source:
        graph.write_edge(con, graph.prepare_edge(format_node_id("source", source), node))
    return DatasetVersion(
        name,
        version,
        hash_,
        path,
        source,
        now,
        rows,
        files,
        size,
        dict(schema),
        dict(profile),
        True,
    )


def add_dataset(
    store: Store, path: str | Path, *, name: str, source: str | None = None
) -> DatasetVersion:
    """Content-address a file or folder and store it as the next version of ``name``.

    Parameters
    ----------
    store
        An open, writable store.
    path
        A file or folder.
    name
        The dataset's name.
    source
        Where the data came from (a URI, a table name); default the file URI of ``path``.

    Returns
    -------
    DatasetVersion
        The new version, or the stored one with ``created=False`` when this
        content is already a version of ``name``.

    Raises
    ------
    ConfigError
        If the path does not exist or the name is empty.
    LogFormatError
        If a tabular file cannot be read.
    """
    if not name or not name.strip():
        raise ConfigError("The 'name' parameter of add_dataset must be a non-empty str.")
    p = Path(path)
    content = content_hash(p)
    existing = find_version(connection(store), name, content.hash)
    if existing is not None:
        return existing
    rows, schema, profile = profile_data(p, content)
    origin = source or p.resolve().as_uri()
    graph = LineageGraph(store)

    def write(con: Any) -> DatasetVersion:
        return insert_version(
            con,
            graph,
            name=name,
            hash_=content.hash,
            path=str(p),
            source=origin,
            files=content.files,
            size=content.size,
            manifest=content.manifest,
            rows=rows,
            schema=schema,
            profile=profile,
        )

    return transaction(store, write, what=f"add a version of dataset {name!r}")


def dataset_names(store: Store) -> list[str]:
    """Names of the stored datasets."""
    rows = (
        connection(store)
        .execute("SELECT DISTINCT name FROM dataset_versions ORDER BY name")
        .fetchall()
    )
    return [str(r[0]) for r in rows]


def dataset_log(store: Store, name: str) -> list[tuple[DatasetVersion, SchemaChange]]:
    """Versions of ``name``, oldest first, each with its schema change from the previous one.

    Raises
    ------
    ConfigError
        If the store has no dataset of that name.
    """
    rows = (
        connection(store).execute(f"{_SELECT} WHERE name = ? ORDER BY version", [name]).fetchall()
    )
    if not rows:
        names = dataset_names(store)
        known = f" Datasets: {', '.join(names)}." if names else " The store has no datasets."
        raise ConfigError(f"No dataset {name!r} in {store.path}.{known}")
    out: list[tuple[DatasetVersion, SchemaChange]] = []
    previous: Mapping[str, str] | None = None
    for row in rows:
        v = _version(row)
        out.append((v, SchemaChange() if previous is None else schema_change(previous, v.schema)))
        previous = v.schema
    return out
