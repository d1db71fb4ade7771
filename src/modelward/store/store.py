"""The run store: every ``modelward check`` kept as a run in one DuckDB file.

A run is one row of ``runs`` (its metadata, and its parameters, meta and
results as JSON) plus any number of named Arrow tables (the summaries). A run
is written in a single transaction: a crash, a ``kill -9`` or a Ctrl-C in the
middle of :meth:`Store.save_run` leaves no trace of it.

How Arrow tables are stored
---------------------------
The rows of a run's tables go into real DuckDB tables, so they can be queried
with SQL across runs (``SELECT ... FROM summary_volume_<hash> WHERE ...``),
compress well and load back column-wise. There is one DuckDB table per table
name *and* column layout, ``summary_<name>_<hash of the column names and types>``,
created on first use with the Arrow schema plus two columns: ``_mw_run_id``
and ``_mw_row`` (the row's position, so the order comes back exactly). The
same name with a different layout (e.g. the ``sample`` table of two systems
with different features) gets its own DuckDB table; nothing is ever altered
in place. Runs are appended in id order, so DuckDB's zone maps make reading
one run's rows a narrow scan. The ``summaries`` table maps (run, name) to its
DuckDB table and keeps the exact Arrow schema (serialised IPC, with field
metadata), so types DuckDB widens or decodes (dictionary, float16, the zone of
a timestamp) come back as they were given.

DuckDB lets one process open a file for writing at a time; a second process
gets a :class:`~modelward.StoreError` saying the store is locked.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from modelward._exceptions import StoreError
from modelward.store._codec import (
    decode_json,
    encode_json,
    from_storage,
    new_run_id,
    storage_name,
    to_storage,
    to_utc_naive,
    utc_aware,
)
from modelward.store.records import Alert, RunInfo, StoredAlert, StoredRun
from modelward.store.schema import SCHEMA_VERSION, current_version, migrate

__all__ = ["DEFAULT_STORE_PATH", "Store"]

DEFAULT_STORE_PATH = Path(".modelward") / "store.duckdb"
_INCOMING = "_mw_incoming"
_RUN_COLUMNS = "r.run_id, r.system, r.created_at, r.kind, r.source, r.status"
_TYPO = str.maketrans({"i": "1", "l": "1", "o": "0"})


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _open_error(path: Path, exc: duckdb.Error) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        holder = f"process {pid.group(1)}" if pid else "another process"
        return StoreError(
            f"{path}: the store is locked by {holder} (a DuckDB file has one writer at a "
            "time). Wait for it to finish, or use another store path."
        )
    return StoreError(f"{path}: cannot open the store, not a readable DuckDB file ({text})")


class Store:
    """Runs of modelward kept in one DuckDB file, with a versioned schema.

    Parameters
    ----------
    path
        The DuckDB file; its folder is created if missing.
    read_only
        Open without writing (several readers may share the file). The store
        must exist and be at the current schema version.

    Raises
    ------
    StoreError
        If the file is locked by another process, is not a DuckDB file, is a
        DuckDB file of something else, or was written by a newer modelward.

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> folder = tempfile.mkdtemp()
    >>> with Store(Path(folder) / "store.duckdb") as store:
    ...     run_id = store.save_run(system="fraud", kind="check", source="log.parquet",
    ...                             parameters={"bucket": "day"}, meta={}, results={"ok": True},
    ...                             tables={"volume": pa.table({"n": [10, 12]})})
    ...     run = store.load_run(run_id[:11])
    >>> run.results, run.tables["volume"].column("n").to_pylist()
    ({'ok': True}, [10, 12])
    """

    def __init__(self, path: str | Path = DEFAULT_STORE_PATH, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store there (nothing to open read-only)")
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create the store's folder: {exc}") from exc
        try:
            self._con: Any = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise _open_error(self.path, exc) from exc
        try:
            if read_only:
                version = current_version(self._con, path=self.path)
                if version > SCHEMA_VERSION:
                    migrate(self._con, path=self.path)  # raises the "newer" error
                if version < SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: the store is at schema version {version} and needs "
                        f"upgrading to {SCHEMA_VERSION}; open it once without read_only"
                    )
            else:
                migrate(self._con, path=self.path)
        except BaseException:
            self._con.close()
            raise
        self._closed = False

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read_only" if self.read_only else "read_write"
        return f"Store({str(self.path)!r}, {mode}{', closed' if self._closed else ''})"

    def close(self) -> None:
        """Close the store (idempotent)."""
        if not self._closed:
            self._con.close()
            self._closed = True

    @property
    def schema_version(self) -> int:
        """The schema version of the open store."""
        return current_version(self._live(), path=self.path)

    @property
    def connection(self) -> Any:
        """The open DuckDB connection, for modules that keep their own tables in the store.

        Write through it only inside a transaction of your own.
        """
        return self._live()

    def _live(self) -> Any:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        return self._con

    def _writable(self) -> Any:
        con = self._live()
        if self.read_only:
            raise StoreError(f"{self.path}: the store is open read-only")
        return con

    # -- writing -------------------------------------------------------------

    def save_run(
        self,
        *,
        system: str,
        kind: str,
        source: str,
        parameters: Mapping[str, Any],
        meta: Mapping[str, Any],
        results: Mapping[str, Any],
        tables: Mapping[str, pa.Table],
        status: str = "ok",
        alerts: Iterable[Alert] = (),
    ) -> str:
        """Save one run, all or nothing, and return its id.

        Parameters
        ----------
        system
            The monitored system (created on first use).
        kind
            What produced the run: ``"check"``, ``"triage"``, ...
        source
            The log the run was computed from.
        parameters, meta, results
            JSON-able dicts: the run's settings, the summaries' meta, the
            analysis results (e.g. the content of report.json).
        tables
            Named Arrow tables (the summaries); any Arrow types.
        status
            The caller's verdict, e.g. ``"ok"`` or ``"alert"``.
        alerts
            Alerts raised by this run, saved in the same transaction.

        Returns
        -------
        str
            The new run id.

        Raises
        ------
        StoreError
            If a value cannot be stored or the write fails; nothing is written then.
        """
        con = self._writable()
        if not isinstance(system, str) or not system.strip():
            raise StoreError(
                f"cannot save a run: system must be a non-empty string, got {system!r}"
            )
        encoded = [
            encode_json(parameters, name="parameters"),
            encode_json(meta, name="meta"),
            encode_json(results, name="results"),
        ]
        prepared: list[tuple[str, pa.Table, pa.Table]] = []
        for name, table in tables.items():
            if not isinstance(name, str) or not name:
                raise StoreError(f"cannot save a run: table name {name!r} is not a non-empty str")
            if not isinstance(table, pa.Table):
                raise StoreError(
                    f"cannot save table {name!r}: expected a pyarrow.Table, "
                    f"got {type(table).__name__}"
                )
            try:
                prepared.append((name, table, to_storage(table, name=name)))
            except pa.ArrowException as exc:
                raise StoreError(f"cannot store table {name!r}: {exc}") from exc
        alert_rows = list(alerts)
        run_id = new_run_id()
        now = datetime.now(UTC).replace(tzinfo=None)

        def write() -> None:
            con.execute("INSERT INTO systems VALUES (?, ?) ON CONFLICT DO NOTHING", [system, now])
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, system, now, kind, source, status, *encoded],
            )
            for position, (name, original, stored) in enumerate(prepared):
                self._write_table(run_id, name, position, original, stored)
            self._insert_alerts(run_id, system, alert_rows, now)

        self._transaction(write, what=f"save a run of system {system!r}")
        return run_id

    def _write_table(
        self, run_id: str, name: str, position: int, original: pa.Table, stored: pa.Table
    ) -> None:
        con = self._con
        target = storage_name(name, original.schema)
        con.register(_INCOMING, stored)
        try:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_name = ?",
                [target],
            ).fetchone()
            if not exists or exists[0] == 0:
                con.execute(
                    f"CREATE TABLE {_quote(target)} AS SELECT CAST(NULL AS VARCHAR) AS _mw_run_id, "
                    f"* FROM {_INCOMING} LIMIT 0"
                )
            con.execute(
                f"INSERT INTO {_quote(target)} BY NAME "
                f"SELECT CAST(? AS VARCHAR) AS _mw_run_id, * FROM {_INCOMING}",
                [run_id],
            )
        finally:
            con.unregister(_INCOMING)
        con.execute(
            "INSERT INTO summaries VALUES (?, ?, ?, ?, ?, ?)",
            [
                run_id,
                name,
                target,
                position,
                original.num_rows,
                original.schema.serialize().to_pybytes(),
            ],
        )

    def _insert_alerts(
        self, run_id: str, system: str, alerts: list[Alert], now: datetime
    ) -> list[int]:
        ids: list[int] = []
        for alert in alerts:
            if not isinstance(alert, Alert):
                raise StoreError(f"cannot save alert {alert!r}: expected a modelward Alert")
            row = self._con.execute(
                "INSERT INTO alerts (run_id, system, name, severity, since, status, detail, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING alert_id",
                [
                    run_id,
                    system,
                    alert.name,
                    alert.severity,
                    None if alert.since is None else to_utc_naive(alert.since),
                    alert.status,
                    encode_json(alert.detail, name=f"alert {alert.name!r} detail"),
                    now,
                ],
            ).fetchone()
            ids.append(int(row[0]))
        return ids

    def _transaction(self, body: Any, *, what: str) -> None:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            body()
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # the connection itself may be gone
                con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error | pa.ArrowException):
                raise StoreError(f"{self.path}: cannot {what}: {exc}") from exc
            raise

    def save_alerts(self, run_id: str, alerts: Iterable[Alert]) -> list[int]:
        """Attach alerts to a stored run (id or unique prefix); return their ids."""
        self._writable()
        full = self.resolve_run_id(run_id)
        system = self._con.execute("SELECT system FROM runs WHERE run_id = ?", [full]).fetchone()[0]
        rows = list(alerts)
        now = datetime.now(UTC).replace(tzinfo=None)
        ids: list[int] = []

        def write() -> None:
            ids.extend(self._insert_alerts(full, system, rows, now))

        self._transaction(write, what=f"save alerts of run {full}")
        return ids

    def delete_run(self, run_id: str) -> str:
        """Delete a run (id or unique prefix) with its tables and alerts; return its full id."""
        con = self._writable()
        full = self.resolve_run_id(run_id)

        def write() -> None:
            storages = con.execute(
                "SELECT DISTINCT storage FROM summaries WHERE run_id = ?", [full]
            ).fetchall()
            for (storage,) in storages:
                con.execute(f"DELETE FROM {_quote(storage)} WHERE _mw_run_id = ?", [full])
            con.execute("DELETE FROM summaries WHERE run_id = ?", [full])
            con.execute("DELETE FROM alerts WHERE run_id = ?", [full])
            con.execute("DELETE FROM runs WHERE run_id = ?", [full])

        self._transaction(write, what=f"delete run {full}")
        return full

    # -- reading -------------------------------------------------------------

    def resolve_run_id(self, run_id: str) -> str:
        """Return the full id of the run whose id is ``run_id`` or starts with it.

        Raises
        ------
        StoreError
            If no run matches (close matches are listed) or several do.
        """
        con = self._live()
        prefix = str(run_id).strip().lower().translate(_TYPO)
        if not prefix:
            raise StoreError("an empty run id matches nothing")
        rows = con.execute(
            "SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id LIMIT 6",
            [prefix],
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if len(rows) > 1:
            shown = ", ".join(r[0] for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            raise StoreError(f"run id prefix {run_id!r} is ambiguous: it matches {shown}")
        every = [str(r[0]) for r in con.execute("SELECT run_id FROM runs").fetchall()]
        if not every:
            raise StoreError(f"no run {run_id!r} in {self.path}: the store has no runs yet")
        scored = sorted(
            every,
            key=lambda rid: difflib.SequenceMatcher(None, prefix, rid[: len(prefix)]).ratio(),
            reverse=True,
        )
        close = [
            rid
            for rid in scored[:3]
            if difflib.SequenceMatcher(None, prefix, rid[: len(prefix)]).ratio() >= 0.5
        ]
        hint = (
            f"close matches: {', '.join(close)}"
            if close
            else (f"latest runs: {', '.join(sorted(every, reverse=True)[:3])}")
        )
        raise StoreError(f"no run {run_id!r} in {self.path}; {hint}")

    def list_systems(self) -> list[str]:
        """Names of the systems in the store, sorted."""
        rows = self._live().execute("SELECT name FROM systems ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def list_runs(
        self, system: str | None = None, *, kind: str | None = None, limit: int = 50
    ) -> list[RunInfo]:
        """The newest ``limit`` runs, newest first, of one system (or all) and kind (or all)."""
        con = self._live()
        rows = con.execute(
            f"SELECT {_RUN_COLUMNS}, "
            "(SELECT list(s.table_name ORDER BY s.position) FROM summaries s "
            " WHERE s.run_id = r.run_id) "
            "FROM runs r WHERE (? IS NULL OR r.system = ?) AND (? IS NULL OR r.kind = ?) "
            "ORDER BY r.run_id DESC LIMIT ?",
            [system, system, kind, kind, int(limit)],
        ).fetchall()
        return [self._info(row) for row in rows]

    @staticmethod
    def _info(row: tuple[Any, ...]) -> RunInfo:
        run_id, system, created_at, kind, source, status, names = row
        return RunInfo(
            run_id=run_id,
            system=system,
            created_at=utc_aware(created_at),
            kind=kind,
            source=source,
            status=status,
            tables=tuple(names or ()),
        )

    def load_run(self, run_id: str) -> StoredRun:
        """Load a run (id or unique prefix): metadata, dicts and Arrow tables."""
        con = self._live()
        full = self.resolve_run_id(run_id)
        row = con.execute(
            f"SELECT {_RUN_COLUMNS}, r.parameters, r.meta, r.results FROM runs r "
            "WHERE r.run_id = ?",
            [full],
        ).fetchone()
        parts = con.execute(
            "SELECT table_name, storage, arrow_schema FROM summaries WHERE run_id = ? "
            "ORDER BY position",
            [full],
        ).fetchall()
        tables: dict[str, pa.Table] = {}
        for name, storage, schema_bytes in parts:
            schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
            relation = con.sql(
                f"SELECT * EXCLUDE (_mw_run_id, _mw_row) FROM {_quote(storage)} "
                "WHERE _mw_run_id = ? ORDER BY _mw_row",
                params=[full],
            )
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            tables[name] = from_storage(fetch(), schema)
        info = self._info((*row[:6], [p[0] for p in parts]))
        return StoredRun(
            info=info,
            parameters=decode_json(row[6]),
            meta=decode_json(row[7]),
            results=decode_json(row[8]),
            tables=tables,
        )

    def latest_run(self, system: str, *, kind: str | None = None) -> StoredRun | None:
        """The newest run of ``system`` (and ``kind``), or None if it has none."""
        runs = self.list_runs(system, kind=kind, limit=1)
        return self.load_run(runs[0].run_id) if runs else None

    def list_alerts(
        self,
        system: str | None = None,
        *,
        status: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
    ) -> list[StoredAlert]:
        """Alerts, newest first, filtered by system, status and run (id or prefix)."""
        con = self._live()
        full = None if run_id is None else self.resolve_run_id(run_id)
        rows = con.execute(
            "SELECT alert_id, run_id, system, name, severity, since, status, detail, created_at "
            "FROM alerts WHERE (? IS NULL OR system = ?) AND (? IS NULL OR status = ?) "
            "AND (? IS NULL OR run_id = ?) ORDER BY run_id DESC, alert_id DESC LIMIT ?",
            [system, system, status, status, full, full, int(limit)],
        ).fetchall()
        return [
            StoredAlert(
                alert_id=int(r[0]),
                run_id=r[1],
                system=r[2],
                name=r[3],
                severity=r[4],
                since=None if r[5] is None else utc_aware(r[5]),
                status=r[6],
                detail=decode_json(r[7]),
                created_at=utc_aware(r[8]),
            )
            for r in rows
        ]
