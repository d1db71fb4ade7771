"""read_log: every input kind, role remapping, type normalisation and inference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelward import ConfigError, LogSchemaError
from modelward.io import read_log

T0 = dt.datetime(2026, 1, 1)
EXPECTED_FEATURES = {
    "amount": "numeric",
    "count_items": "numeric",
    "country": "categorical",
    "user": "categorical",
}


def _check(log: object, n: int = 30) -> None:
    from modelward.io import PredictionLog

    assert isinstance(log, PredictionLog)
    assert log.n_rows == n
    assert log.task == "binary"
    assert {f.name: f.kind for f in log.features} == EXPECTED_FEATURES
    assert log.segments == ("country",)
    got = log.con.execute(f'SELECT count(*) FROM "{log.view}"').fetchone()
    assert got == (n,)


def test_parquet_file(parquet_file: Path) -> None:
    log = read_log(parquet_file)
    _check(log)
    assert log.source == str(parquet_file)
    assert "__mw_file" not in log.schema


def test_csv_file(write: Callable[..., Path], table: pa.Table) -> None:
    log = read_log(write(table, "log.csv"))
    _check(log)
    assert log.schema["timestamp"] == "TIMESTAMP"


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_folder_and_glob(write: Callable[..., Path], table: pa.Table, suffix: str) -> None:
    write(table.slice(0, 10), f"logs/a{suffix}")
    write(table.slice(10), f"logs/sub/b{suffix}")
    write(table.slice(0, 1), f"logs/_ignored{suffix}")
    folder = write(table.slice(0, 0), f"other/x{suffix}").parent.parent / "logs"
    _check(read_log(folder))
    _check(read_log(str(folder / "**" / f"*{suffix}")))


def test_arrow_pandas_polars(table: pa.Table) -> None:
    _check(read_log(table))
    _check(read_log(table.to_pandas()))
    _check(read_log(pl.from_arrow(table)))
    assert read_log(table.to_pandas()).source == "<pandas.DataFrame>"


def test_duckdb_relation_table_and_file(table: pa.Table, tmp_path: Path) -> None:
    con = duckdb.connect()
    con.register("t", table)
    _check(read_log(con.sql("SELECT * FROM t"), con=con))
    con.execute("CREATE TABLE preds AS SELECT * FROM t")
    log = read_log((con, "preds"))
    _check(log)
    assert log.con is con
    db = tmp_path / "db.duckdb"
    file_con = duckdb.connect(str(db))
    file_con.register("t", table)
    file_con.execute("CREATE TABLE preds AS SELECT * FROM t")
    file_con.close()
    _check(read_log(f"duckdb:{db}:preds"))


def test_relation_from_another_connection_needs_con(table: pa.Table) -> None:
    con = duckdb.connect()
    con.register("t", table)
    with pytest.raises(ConfigError, match="con="):
        read_log(con.sql("SELECT * FROM t"))


def test_logs_share_a_connection(table: pa.Table) -> None:
    con = duckdb.connect()
    a = read_log(table, con=con)
    b = read_log(table.slice(0, 6), con=con)
    assert a.view != b.view
    assert a.relation().shape[0] == 30
    assert b.relation().shape[0] == 6


def test_unsupported_source() -> None:
    with pytest.raises(ConfigError, match="Got int instead"):
        read_log(42)


def test_role_remapping_by_option_and_yaml(tmp_path: Path, make: Callable[..., pa.Table]) -> None:
    renamed = make().rename_columns(
        [
            "id",
            "ts",
            "model_version",
            "p",
            "yhat",
            "is_fraud",
            "label_timestamp",
            "latency_ms",
            "amount",
            "count_items",
            "country",
            "user",
        ]
    )
    mapping = {"id": "id", "time": "ts", "score": "p", "prediction": "yhat", "label": "is_fraud"}
    log = read_log(renamed, columns=mapping)
    _check(log)
    assert log.roles.label == "is_fraud"
    cfg = tmp_path / "modelward.yaml"
    cfg.write_text(
        "columns:\n  id: id\n  time: ts\n  score: p\n  prediction: yhat\n  label: is_fraud\n"
        "segments: [country, count_items]\n"
    )
    log = read_log(renamed, config=cfg)
    assert log.roles.score == "p"
    assert log.segments == ("country", "count_items")
    assert log.feature("count_items").kind == "categorical"
    # explicit arguments override the file
    log = read_log(renamed, config=cfg, segments=["user"], columns={"label": None})  # type: ignore[dict-item]
    assert log.segments == ("user",)


def test_yaml_beside_the_log_is_not_loaded(tmp_path: Path, table: pa.Table) -> None:
    pq.write_table(table.rename_columns(["x", *table.column_names[1:]]), tmp_path / "log.parquet")
    (tmp_path / "modelward.yaml").write_text("columns:\n  id: x\n")
    with pytest.raises(LogSchemaError, match="required id column 'prediction_id'"):
        read_log(tmp_path / "log.parquet")
    assert read_log(tmp_path / "log.parquet", config=tmp_path / "modelward.yaml").roles.id == "x"


def test_yaml_categorical_and_features(tmp_path: Path, table: pa.Table) -> None:
    cfg = tmp_path / "m.yaml"
    cfg.write_text("categorical: [count_items]\nfeatures: [amount, count_items]\n")
    log = read_log(table, config=cfg)
    assert [(f.name, f.kind) for f in log.features] == [
        ("amount", "numeric"),
        ("count_items", "categorical"),
    ]
    assert log.segments == ("count_items",)


def test_type_normalisation(make: Callable[..., pa.Table]) -> None:
    paris = pa.array(
        [dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(hours=i) for i in range(30)],
        pa.timestamp("ns", tz="Europe/Paris"),
    )
    t = make(
        timestamp=paris,
        score=pa.array([0.5] * 30, pa.float32()),
        latency_ms=pa.array(list(range(30)), pa.int16()),
        label_timestamp=pa.array([dt.date(2026, 1, 2)] * 30, pa.date32()),
    )
    log = read_log(t)
    s = log.schema
    assert (s["timestamp"], s["label_timestamp"], s["score"], s["latency_ms"]) == (
        "TIMESTAMP",
        "TIMESTAMP",
        "DOUBLE",
        "DOUBLE",
    )
    first = log.con.execute(f'SELECT min(timestamp) FROM "{log.view}"').fetchone()
    assert first == (dt.datetime(2026, 1, 1, 12),)  # UTC, zone dropped


def test_string_timestamps_with_and_without_offsets(make: Callable[..., pa.Table]) -> None:
    stamps = ["2026-01-01 10:00:00+02:00", "2026-01-01T10:00:00Z", "2026-01-01 10:00:00"] * 10
    log = read_log(make(timestamp=stamps, score=[str(x) for x in make()["score"]]))
    hours = log.con.execute(f'SELECT hour(timestamp) FROM "{log.view}" LIMIT 3').fetchall()
    assert hours == [(8,), (10,), (10,)]
    assert log.schema["score"] == "DOUBLE"


def test_task_inference(make: Callable[..., pa.Table]) -> None:
    assert read_log(make(prediction=[True, False] * 15, label=None)).task == "binary"
    reg = make(
        prediction=[float(i) / 3 for i in range(30)],
        label=[float(i) for i in range(30)],
        score=None,
    )
    assert read_log(reg).task == "regression"


def test_segment_inference_limits(make: Callable[..., pa.Table]) -> None:
    t = make(user=[f"u{i % 5}" for i in range(30)], country=["FR"] * 30)
    assert read_log(t).segments == ("user",)  # country has 1 value
    assert read_log(t, max_segment_cardinality=4).segments == ()
    with pytest.raises(ConfigError, match="max_segment_cardinality"):
        read_log(t, max_segment_cardinality=1)


def test_at_most_three_segments_are_inferred(make: Callable[..., pa.Table]) -> None:
    cats = {f"c{j}": [f"v{(i + j) % 3}" for i in range(30)] for j in range(5)}
    t = make(**cats)
    every = read_log(t, max_inferred_segments=10).segments
    assert set(cats) <= set(every)
    assert read_log(t).segments == every[:3]  # the first three, in column order
    declared = ["c4", "c3", "c2", "c1"]
    assert read_log(t, segments=declared).segments == tuple(declared)  # no cap on declared


def test_unsupported_feature_types_are_skipped_unless_declared(
    make: Callable[..., pa.Table],
) -> None:
    t = make(when=pa.array([T0.date()] * 30, pa.date32()))
    assert "when" not in read_log(t).feature_names
    assert "when" in read_log(t).schema
    with pytest.raises(LogSchemaError, match=r"column 'when'.*numeric or categorical"):
        read_log(t, features=["when"])


def test_pandas_timezone_aware(make: Callable[..., pa.Table]) -> None:
    df = make().to_pandas()
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize("America/New_York")
    log = read_log(df)
    first = log.con.execute(f'SELECT min(timestamp) FROM "{log.view}"').fetchone()
    assert first == (dt.datetime(2026, 1, 1, 5),)
