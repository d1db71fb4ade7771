"""Every validation error names the file, column, first offending row and value."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelward import ConfigError, LogFormatError, LogNotFoundError, LogSchemaError
from modelward.io import read_log, reference_window
from tests.engine.engine_logs import make_table as engine_table

Make = Callable[..., pa.Table]
Write = Callable[..., Path]


def _fails(exc: type[Exception], source: object, pattern: str, **kwargs: object) -> Exception:
    with pytest.raises(exc) as info:
        read_log(source, **kwargs)  # type: ignore[arg-type]
    assert re.search(pattern, str(info.value)), str(info.value)
    return info.value


def test_not_found(tmp_path: Path) -> None:
    _fails(LogNotFoundError, tmp_path / "nope.parquet", r"nope\.parquet: no such file")
    _fails(LogNotFoundError, str(tmp_path / "*.parquet"), r"\*\.parquet: the glob matches no")
    (tmp_path / "empty").mkdir()
    _fails(LogNotFoundError, tmp_path / "empty", r"empty: the folder holds no Parquet or CSV")
    _fails(LogNotFoundError, f"duckdb:{tmp_path / 'x.duckdb'}:t", r"x\.duckdb: no such DuckDB")
    assert issubclass(LogNotFoundError, FileNotFoundError)


def test_format_errors(tmp_path: Path, parquet_file: Path) -> None:
    text = tmp_path / "log.txt"
    text.write_text("hello")
    _fails(LogFormatError, text, r"log\.txt: not a Parquet or CSV file")
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"this is not parquet at all" * 10)
    _fails(LogFormatError, fake, r"fake\.parquet: cannot read the log")
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(parquet_file.read_bytes()[:-100])
    _fails(LogFormatError, truncated, r"truncated\.parquet: cannot read the log")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.parquet").write_bytes(parquet_file.read_bytes())
    (mixed / "b.csv").write_text("a,b\n1,2\n")
    _fails(LogFormatError, mixed, "mixes Parquet and CSV")


def test_missing_required_column(make: Make) -> None:
    err = _fails(
        LogSchemaError,
        make(prediction=None),
        r"<pyarrow.Table>: column 'prediction': missing the required prediction column "
        r"'prediction'.*--col prediction=NAME",
    )
    assert isinstance(err, LogSchemaError)
    assert err.column == "prediction"
    _fails(
        LogSchemaError,
        make(),
        r"column 'is_fraud': missing the remapped label",
        columns={"label": "is_fraud"},
    )


def test_unknown_role_and_bad_mapping(make: Make, tmp_path: Path) -> None:
    _fails(ConfigError, make(), "Unknown column role 'labl'", columns={"labl": "x"})
    cfg = tmp_path / "modelward.yaml"
    cfg.write_text("columns:\n  labl: x\n")
    _fails(ConfigError, make(), r"modelward\.yaml: columns: Unknown column role 'labl'", config=cfg)
    _fails(
        ConfigError,
        make(),
        "both map to column 'score'",
        columns={"score": "score", "latency": "score"},
    )


def test_score_out_of_range_and_nan(make: Make, write: Write) -> None:
    scores = [0.5] * 30
    scores[7], scores[20] = 1.5, -0.1
    path = write(make(score=scores))
    err = _fails(
        LogSchemaError,
        path,
        rf"{re.escape(str(path))}: column 'score', row 7 \(value 1\.5\): score outside "
        r"\[0, 1\] or NaN \(2 rows in all\)",
    )
    assert isinstance(err, LogSchemaError)
    assert (err.row, err.value) == (7, 1.5)
    scores = [0.5] * 30
    scores[3] = float("nan")
    _fails(LogSchemaError, make(score=scores), r"column 'score', row 3 \(value nan\)")


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_latency_nan_or_infinite_is_named(make: Make, write: Write, bad: float) -> None:
    latency: list[float | None] = [10.0 + i for i in range(30)]
    latency[4], latency[12] = None, bad
    path = write(make(latency_ms=latency))
    err = _fails(
        LogSchemaError,
        path,
        r"column 'latency_ms', row 12 \(value -?(inf|nan)\): latency is NaN or infinite",
    )
    assert isinstance(err, LogSchemaError)
    assert err.row == 12
    # Negative and missing latencies are read (counted in the non-positive bin / as null).
    latency[12] = -1.0
    assert read_log(write(make(latency_ms=latency))).n_rows == 30


def test_nan_found_despite_parquet_statistics(tmp_path: Path) -> None:
    # Parquet min/max statistics leave NaN out, and DuckDB 2.0 folds isnan(x)
    # to false from them: on this file the count saw the NaN rows but a
    # WHERE isnan(...) found none (the locator crashed on an assert).
    table = engine_table(200, seed=4)
    latency = table.column("latency_ms").to_numpy(zero_copy_only=False).copy()
    latency[50] = float("nan")
    i = table.schema.get_field_index("latency_ms")
    path = tmp_path / "log.parquet"
    pq.write_table(table.set_column(i, "latency_ms", pa.array(latency)), path)
    first_nan = int(np.flatnonzero(np.isnan(latency))[0])
    err = _fails(LogSchemaError, path, r"latency is NaN or infinite")
    assert isinstance(err, LogSchemaError)
    assert err.row == first_nan


def test_timestamps_unparseable_and_missing(make: Make, write: Write) -> None:
    stamps = [f"2026-01-{1 + i // 3:02d} 10:00:00" for i in range(30)]
    stamps[11] = "yesterday"
    path = write(make(timestamp=stamps), "log.csv")
    _fails(
        LogSchemaError,
        path,
        rf"{re.escape(str(path))}: column 'timestamp', row 11 \(value 'yesterday'\): "
        "unparseable timestamp",
    )
    t = make()
    times = t["timestamp"].to_pylist()
    times[4] = None
    _fails(
        LogSchemaError,
        make(timestamp=pa.array(times, pa.timestamp("us"))),
        r"column 'timestamp', row 4: missing timestamp",
    )
    _fails(
        LogSchemaError,
        make(timestamp=list(range(30))),
        r"column 'timestamp': the time column must hold timestamps; it has type BIGINT",
    )
    lts: list[str | None] = [None] * 30
    lts[9] = "soon"
    _fails(
        LogSchemaError,
        make(label_timestamp=lts),
        r"column 'label_timestamp', row 9 \(value 'soon'\): unparseable label timestamp",
    )


def test_duplicate_and_missing_ids(make: Make) -> None:
    ids = [f"p{i}" for i in range(30)]
    ids[17] = "p5"
    ids[25] = "p5"
    _fails(
        LogSchemaError,
        make(prediction_id=ids),
        r"column 'prediction_id', row 17 \(value 'p5'\): duplicate prediction id "
        r"\(first seen at row 5",
    )
    ids2: list[str | None] = [f"p{i}" for i in range(30)]
    ids2[2] = None
    _fails(LogSchemaError, make(prediction_id=ids2), r"column 'prediction_id', row 2: missing")


def test_label_types(make: Make) -> None:
    labels = [None, None, "fraud"] + ["ok"] * 27
    _fails(
        LogSchemaError,
        make(label=labels),
        r"column 'label', row 2 \(value 'fraud'\): labels must have the prediction's type",
    )
    int_labels: list[int | None] = [0, 1, None, 1, 2] + [0] * 25
    _fails(
        LogSchemaError,
        make(label=int_labels),
        r"column 'label', row 4 \(value 2\): labels of a binary task must be 0/1",
    )


def test_prediction_values(make: Make) -> None:
    preds: list[int | None] = [0, 1] * 15
    preds[6] = None
    _fails(
        LogSchemaError, make(prediction=preds), r"column 'prediction', row 6: missing prediction"
    )
    _fails(
        LogSchemaError,
        make(prediction=["yes"] * 30),
        r"column 'prediction', row 0 \(value 'yes'\): predictions must be 0/1 or numbers",
    )


def test_empty_log(make: Make, write: Write) -> None:
    path = write(make().slice(0, 0))
    _fails(LogSchemaError, path, rf"{re.escape(str(path))}: the log has no rows")


def test_folder_error_names_the_file_and_row_within_it(make: Make, write: Write) -> None:
    t = make()
    scores = t["score"].to_pylist()
    scores[23] = 3.0
    t = make(score=scores)
    write(t.slice(0, 10), "logs/part-0.parquet")
    write(t.slice(10, 10), "logs/part-1.parquet")
    bad = write(t.slice(20), "logs/part-2.parquet")
    err = _fails(
        LogSchemaError, bad.parent, rf"{re.escape(str(bad))}: column 'score', row 3 \(value 3\.0\)"
    )
    assert isinstance(err, LogSchemaError)
    assert err.source == str(bad)


def test_reference_window(make: Make) -> None:
    log = read_log(make())  # 3 rows a day, 2026-01-01 .. 2026-01-10
    assert reference_window(log, reference_end=dt.date(2026, 1, 3)) == (
        dt.datetime(2026, 1, 1),
        dt.datetime(2026, 1, 4),
    )
    start, end = reference_window(
        log, reference_end=dt.datetime(2026, 1, 3, 8), reference_start="2026-01-02"
    )
    assert (start, end) == (dt.datetime(2026, 1, 2), dt.datetime(2026, 1, 3, 8, 0, 0, 1))
    n = log.con.execute(
        f'SELECT count(*) FROM "{log.view}" WHERE timestamp >= ? AND timestamp < ?', [start, end]
    ).fetchone()
    assert n == (5,)  # 2026-01-02 00/08/16h, 2026-01-03 00/08h (end inclusive)
    with pytest.raises(LogSchemaError, match="does not overlap the log"):
        reference_window(log, reference_end="2025-12-01")
    with pytest.raises(LogSchemaError, match="does not overlap the log"):
        reference_window(log, reference_end="2026-03-01", reference_start="2026-02-01")
    with pytest.raises(LogSchemaError, match=r"<pyarrow.Table>: column 'timestamp'.*no rows"):
        reference_window(
            log,
            reference_end=dt.datetime(2026, 1, 2, 7),
            reference_start=dt.datetime(2026, 1, 2, 1),
        )
    with pytest.raises(ConfigError, match="not before"):
        reference_window(log, reference_end="2026-01-02", reference_start="2026-01-05")
    with pytest.raises(ConfigError, match="ISO date"):
        reference_window(log, reference_end="Jan 2")


def test_row_numbers_across_row_groups(make: Make, parquet_file: Path) -> None:
    scores = [0.5] * 30
    scores[23] = 2.0
    pq.write_table(make(score=scores), parquet_file, row_group_size=4)
    _fails(LogSchemaError, parquet_file, r"column 'score', row 23 \(value 2\.0\)")
