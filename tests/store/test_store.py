"""Round trips, listings, id prefixes, alerts and errors of the run store."""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward import StoreError
from modelward.store import Alert, Store


def _save(store: Store, system: str = "fraud", **overrides: object) -> str:
    kwargs: dict[str, object] = {
        "system": system,
        "kind": "check",
        "source": "log.parquet",
        "parameters": {"bucket": "day"},
        "meta": {"n_rows": 10},
        "results": {"ok": True},
        "tables": {"volume": pa.table({"n": pa.array([1, 2], pa.int64())})},
    }
    kwargs.update(overrides)
    return store.save_run(**kwargs)  # type: ignore[arg-type]


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_same_table(loaded: pa.Table, original: pa.Table) -> None:
    """Exact equality, schema metadata included, NaN equal to NaN."""
    assert loaded.schema.equals(original.schema, check_metadata=True)
    for name in original.column_names:
        values = loaded.column(name).to_pylist()
        assert _same_value(values, original.column(name).to_pylist()), name


def _many_types(n: int = 5) -> pa.Table:
    rng = np.random.default_rng(0)
    t0 = datetime(2026, 1, 14, 3, 4, 5, 123456)
    stamps = [t0 + timedelta(hours=i) for i in range(n)]
    fields = {
        "i8": pa.array(rng.integers(-128, 127, n), pa.int8()),
        "i16": pa.array([-32768, 32767, 0, 1, None][:n], pa.int16()),
        "i32": pa.array(rng.integers(-(2**31), 2**31 - 1, n), pa.int32()),
        "i64": pa.array([-(2**63), 2**63 - 1, 0, None, 5][:n], pa.int64()),
        "u8": pa.array([0, 255, 1, 2, 3][:n], pa.uint8()),
        "u16": pa.array([0, 65535, 1, 2, 3][:n], pa.uint16()),
        "u32": pa.array([0, 2**32 - 1, 1, 2, 3][:n], pa.uint32()),
        "u64": pa.array([0, 2**64 - 1, 2**63, None, 7][:n], pa.uint64()),
        "f16": pa.array(np.array([0.5, -1.0, np.inf, 2.0, 0.25][:n], np.float16)),
        "f32": pa.array(np.array([1.5, np.nan, -np.inf, 0.0, 3.25][:n], np.float32)),
        "f64": pa.array([math.pi, float("nan"), None, -0.0, 1e308][:n], pa.float64()),
        "flag": pa.array([True, False, None, True, False][:n]),
        "name": pa.array(["a", "é", None, "", "long " * 20][:n]),
        "big_name": pa.array(["x", "y", "z", None, "w"][:n], pa.large_string()),
        "segment": pa.array(["US", "FR", "US", None, "FR"][:n]).dictionary_encode(),
        "blob": pa.array([b"\x00\x01", b"", None, b"abc", b"\xff"][:n], pa.binary()),
        "day": pa.array([date(2026, 1, 1) + timedelta(days=i) for i in range(n)], pa.date32()),
        "ts_s": pa.array(stamps, pa.timestamp("s")),
        "ts_ms": pa.array(stamps, pa.timestamp("ms")),
        "ts_us": pa.array(stamps, pa.timestamp("us")),
        "ts_ns": pa.array([1_768_359_845_123_456_789 + i for i in range(n)], pa.timestamp("ns")),
        "ts_utc": pa.array(stamps, pa.timestamp("us", tz="UTC")),
        "ts_paris": pa.array(stamps, pa.timestamp("us", tz="Europe/Paris")),
        "clock": pa.array([dtime(1, 2, 3, 4)] * n, pa.time64("us")),
        "money": pa.array(
            [Decimal("1.234"), None, Decimal("-9.999"), Decimal(0), Decimal(1)][:n],
            pa.decimal128(12, 3),
        ),
        "bins": pa.array([[1, 2], [], None, [3], [4, 5, 6]][:n], pa.list_(pa.int16())),
        "point": pa.array(
            [
                {"x": 1.0, "k": "a"},
                None,
                {"x": None, "k": "b"},
                {"x": 2.0, "k": None},
                {"x": 0.0, "k": "c"},
            ][:n],
            pa.struct([("x", pa.float64()), ("k", pa.string())]),
        ),
        "nothing": pa.nulls(n),
    }
    schema = pa.schema(
        [
            pa.field(k, v.type, metadata={"role": "x"} if k == "i16" else None)
            for k, v in fields.items()
        ],
        metadata={"kind": "many_types"},
    )
    return pa.Table.from_arrays(list(fields.values()), schema=schema)


def test_round_trip_results_and_tables_of_many_types(tmp_path: Path) -> None:
    many = _many_types()
    volume = pa.table(
        {
            "bucket": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
            "n": pa.array([10], pa.int64()),
        }
    )
    empty = many.slice(0, 0)
    results = {
        "drift": {"amount": {"psi": 0.31, "p": float("nan")}},
        "verdict": "alert",
        "inf": float("inf"),
        "list": [1, "two", None, [3.5]],
        "unicode": "€ ✓",
    }
    path = tmp_path / "nested" / "dir" / "store.duckdb"
    with Store(path) as store:
        run_id = store.save_run(
            system="fraud",
            kind="check",
            source="s3://bucket/log/",
            parameters={"bucket": "day", "seed": np.int64(7)},
            meta={"n_rows": 5, "edges": np.array([0.5, 1.5])},
            results=results,
            tables={"many": many, "volume": volume, "empty": empty},
        )
    assert path.exists()
    with Store(path, read_only=True) as store:
        run = store.load_run(run_id)
    assert run.run_id == run_id
    assert run.info.tables == ("many", "volume", "empty")
    assert list(run.tables) == ["many", "volume", "empty"]
    for name, original in {"many": many, "volume": volume, "empty": empty}.items():
        assert_same_table(run.tables[name], original)
    assert run.parameters == {"bucket": "day", "seed": 7}
    assert run.meta == {"n_rows": 5, "edges": [0.5, 1.5]}
    assert math.isnan(run.results["drift"]["amount"]["p"])
    assert run.results["inf"] == float("inf")
    assert {k: v for k, v in run.results.items() if k != "drift"} == {
        k: v for k, v in results.items() if k != "drift"
    }
    assert run.info.created_at.tzinfo is UTC
    assert abs(run.info.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert (run.info.kind, run.info.source, run.info.status) == ("check", "s3://bucket/log/", "ok")


def test_large_table_keeps_row_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "segment": pa.array(rng.choice(["US", "FR", "DE"], 200_000)).dictionary_encode(),
            "h": pa.array(rng.integers(0, 2**63, 200_000, dtype=np.uint64)),
            "x": rng.normal(size=200_000),
        }
    )
    with Store(tmp_path / "s.duckdb") as store:
        run_id = _save(store, tables={"sample": table})
        assert store.load_run(run_id).tables["sample"].equals(table)


@pytest.fixture(scope="module")
def shared_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.duckdb") as store:
        yield store


@settings(max_examples=30, deadline=None)
@given(
    ints=st.lists(st.one_of(st.none(), st.integers(0, 2**64 - 1)), max_size=30),
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30),
    words=st.lists(st.one_of(st.none(), st.text(max_size=8)), max_size=30),
)
def test_round_trip_property(
    shared_store: Store, ints: list[int | None], floats: list[float], words: list[str | None]
) -> None:
    tables = {
        "u": pa.table({"v": pa.array(ints, pa.uint64())}),
        "f": pa.table({"v": pa.array(floats, pa.float64())}),
        "w": pa.table({"v": pa.array(words, pa.string())}),
    }
    run = shared_store.load_run(_save(shared_store, tables=tables, results={"floats": floats}))
    for name, table in tables.items():
        assert_same_table(run.tables[name], table)
    assert _same_value(run.results["floats"], floats)


def test_two_systems_share_a_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        # the same table name with different layouts per system (e.g. the row sample)
        fraud_sample = pa.table({"amount": [1.5, 2.5], "country": ["US", "FR"]})
        churn_sample = pa.table({"tenure": pa.array([3, 4], pa.int16())})
        f1 = _save(store, "fraud", tables={"sample": fraud_sample}, results={"r": 1})
        c1 = _save(store, "churn", tables={"sample": churn_sample}, results={"r": 2})
        f2 = _save(store, "fraud", kind="triage", tables={"sample": fraud_sample}, results={"r": 3})
        assert store.list_systems() == ["churn", "fraud"]
        assert [r.run_id for r in store.list_runs()] == [f2, c1, f1]
        assert [r.run_id for r in store.list_runs("fraud")] == [f2, f1]
        assert [r.run_id for r in store.list_runs("fraud", kind="check")] == [f1]
        assert [r.run_id for r in store.list_runs(limit=1)] == [f2]
        assert store.list_runs("nobody") == []
        assert store.latest_run("churn").results == {"r": 2}  # type: ignore[union-attr]
        assert store.latest_run("fraud").results == {"r": 3}  # type: ignore[union-attr]
        assert store.latest_run("fraud", kind="check").run_id == f1  # type: ignore[union-attr]
        assert store.latest_run("nobody") is None
        assert store.load_run(c1).tables["sample"].equals(churn_sample)
        assert store.load_run(f1).tables["sample"].equals(fraud_sample)


def test_run_ids_sort_by_creation(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        ids = [_save(store) for _ in range(5)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert all(len(i) == 13 for i in ids)


def test_prefixes_like_git(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        a = _save(store)
        b = _save(store)
        common = next(i for i in range(len(a)) if a[i] != b[i])
        assert store.load_run(a[: common + 1]).run_id == a
        assert store.load_run(b.upper()).run_id == b
        with pytest.raises(StoreError, match="ambiguous") as info:
            store.load_run(a[:common])
        assert a in str(info.value)
        assert b in str(info.value)
        typo = a[:-1] + ("0" if a[-1] != "0" else "1")
        with pytest.raises(StoreError, match="close matches") as info:
            store.load_run(typo)
        assert a in str(info.value)
        with pytest.raises(StoreError, match="no run"):
            store.load_run("zzzzzzzzzzzzz")
        with pytest.raises(StoreError, match="empty"):
            store.load_run("")


def test_unknown_run_in_empty_store(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(StoreError, match="no runs yet"):
        store.load_run("abc")


def test_delete_run_removes_everything_of_it(tmp_path: Path) -> None:
    table = pa.table({"n": [1, 2, 3]})
    with Store(tmp_path / "s.duckdb") as store:
        keep = _save(store, tables={"volume": table}, alerts=[Alert("p99", "critical")])
        gone = _save(store, tables={"volume": table}, alerts=[Alert("auc", "warning")])
        assert store.delete_run(gone[:12]) == gone
        assert [r.run_id for r in store.list_runs()] == [keep]
        assert [a.name for a in store.list_alerts()] == ["p99"]
        storage = store._con.execute("SELECT storage FROM summaries").fetchall()
        rows = store._con.execute(f'SELECT count(*) FROM "{storage[0][0]}"').fetchone()
        assert rows == (3,)
        assert store.load_run(keep).tables["volume"].equals(table)
        with pytest.raises(StoreError, match="no run"):
            store.load_run(gone)


def test_alerts(tmp_path: Path) -> None:
    since = datetime(2026, 2, 3, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    with Store(tmp_path / "s.duckdb") as store:
        r1 = _save(
            store,
            "fraud",
            status="alert",
            alerts=[
                Alert(
                    "p99_latency <= 200ms",
                    "critical",
                    since=since,
                    detail={"p99": 250.0, "limit": 200},
                )
            ],
        )
        r2 = _save(store, "churn")
        ids = store.save_alerts(
            r2,
            [
                Alert("recall >= 0.8", "warning", status="resolved"),
                Alert("psi(amount) <= 0.2", "warning"),
            ],
        )
        assert len(ids) == 2
        every = store.list_alerts()
        assert [a.name for a in every] == [
            "psi(amount) <= 0.2",
            "recall >= 0.8",
            "p99_latency <= 200ms",
        ]
        fraud = store.list_alerts("fraud")
        assert len(fraud) == 1
        assert fraud[0].run_id == r1
        assert fraud[0].since == datetime(2026, 2, 3, 0, 0, tzinfo=UTC)
        assert fraud[0].detail == {"p99": 250.0, "limit": 200}
        assert fraud[0].severity == "critical"
        assert [a.name for a in store.list_alerts(status="open", run_id=r2)] == [
            "psi(amount) <= 0.2"
        ]
        assert store.list_runs("fraud")[0].status == "alert"
        with pytest.raises(StoreError, match="no run"):
            store.save_alerts("nope", [Alert("x", "info")])


def test_values_json_cannot_hold_are_refused_before_writing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match=r"results\['drift'\]\['f'\]: object"):
            _save(store, results={"drift": {"f": object()}})
        with pytest.raises(StoreError, match="reserved"):
            _save(store, tables={"t": pa.table({"_mw_row": [1]})})
        with pytest.raises(StoreError, match="differ only by case"):
            _save(store, tables={"t": pa.table({"A": [1], "a": [2]})})
        with pytest.raises(StoreError, match=r"pyarrow\.Table"):
            _save(store, tables={"t": {"a": [1]}})
        with pytest.raises(StoreError, match="system"):
            _save(store, system="")
        assert store.list_runs() == []
        assert store.list_systems() == []


def test_corrupt_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    path.write_bytes(b"definitely not a database " * 500)
    with pytest.raises(StoreError, match="not a readable DuckDB file") as info:
        Store(path)
    assert str(path) in str(info.value)
    assert path.read_bytes().startswith(b"definitely")  # left untouched


def test_other_duckdb_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "log.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE predictions (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a modelward store") as info:
        Store(path)
    assert "predictions" in str(info.value)


def test_read_only(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with pytest.raises(StoreError, match="no store there"):
        Store(path, read_only=True)
    assert not path.exists()
    with Store(path) as store:
        run_id = _save(store)
    with Store(path, read_only=True) as a, Store(path, read_only=True) as b:
        assert a.load_run(run_id).run_id == b.load_run(run_id).run_id
        with pytest.raises(StoreError, match="read-only"):
            _save(a)


def test_closed_store_refuses(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_runs()


def test_store_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from modelward.store import Store
            store = Store({str(path)!r})
            print("open", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="locked by process") as info:
            Store(path)
        assert str(holder.pid) in str(info.value)
        assert str(path) in str(info.value)
    finally:
        holder.communicate(input="", timeout=10)
    with Store(path) as store:  # free again once the other process is done
        assert store.list_runs() == []
