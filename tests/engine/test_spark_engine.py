"""The Spark engine gives the DuckDB engine's summaries (counts exact, sums within rounding)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.engine_logs import make_table

pytest.importorskip("pyspark")

from modelward import LogSchemaError
from modelward.engine import get_engine
from modelward.engine._spark_bins import spark_bins
from modelward.engine._spark_log import read_spark_log
from modelward.engine.edges import compute_bins
from modelward.engine.spark_engine import SparkEngine, local_spark_session
from modelward.engine.summaries import TABLE_SPECS, Summaries
from modelward.io import read_log
from modelward.simulate import FAULTS, simulate

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    session = local_spark_session(cores=2, driver_memory="2g", shuffle_partitions=4)
    yield session
    session.stop()


def _assert_same(d: Summaries, s: Summaries) -> None:
    assert d.meta.numeric_edges == s.meta.numeric_edges
    assert d.meta.categories == s.meta.categories
    assert d.meta.other_categories == s.meta.other_categories
    assert d.meta.n_rows == s.meta.n_rows
    for name, spec in TABLE_SPECS.items():
        a, b = d.table(name), s.table(name)
        order = [(k, "ascending") for k in spec.keys]
        a, b = a.sort_by(order), b.sort_by(order)
        assert a.num_rows == b.num_rows, name
        assert a.schema == b.schema, name
        for col in a.column_names:
            x, y = a[col], b[col]
            if pa.types.is_floating(x.type):
                assert x.null_count == y.null_count, (name, col)
                xs = np.asarray(x.to_numpy(zero_copy_only=False), dtype=float)
                ys = np.asarray(y.to_numpy(zero_copy_only=False), dtype=float)
                np.testing.assert_allclose(ys, xs, rtol=1e-9, atol=1e-9, err_msg=f"{name}.{col}")
            else:
                assert x.to_pylist() == y.to_pylist(), (name, col)
    ds, ss = d.tables.get("sample"), s.tables.get("sample")
    assert (ds is None) == (ss is None)
    if ds is not None and ss is not None:
        # the portable md5 hash: the very same rows, in the same order
        assert ds.column_names == ss.column_names
        assert ds.num_rows == ss.num_rows > 0
        ss = ss.cast(ds.schema)
        for col in ds.column_names:
            assert _values(ds[col]) == _values(ss[col]), ("sample", col)


def _values(col: pa.ChunkedArray) -> list[object]:
    """Python values with NaN made comparable."""
    return ["NaN" if isinstance(v, float) and math.isnan(v) else v for v in col.to_pylist()]


def _both(path: Path, spark, segments=None, **kw):  # type: ignore[no-untyped-def]
    log = read_log(str(path), segments=segments)
    d = get_engine("duckdb").summarise(log, **kw)
    slog = read_spark_log(str(path), spark=spark, like=log)
    s = SparkEngine(spark=spark).summarise(slog, bins=d.meta.bins, **kw)
    return log, slog, d, s


def test_inferred_log_matches_read_log(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "log.parquet"
    pq.write_table(make_table(500, seed=3), path)
    log = read_log(str(path))
    slog = read_spark_log(str(path), spark=spark)
    assert (slog.roles, slog.features, slog.segments, slog.task, slog.n_rows) == (
        log.roles,
        log.features,
        log.segments,
        log.task,
        log.n_rows,
    )
    assert slog.schema == log.schema
    assert slog.identifiers == log.identifiers


def test_id_like_column_left_out_by_both_engines(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = make_table(400, seed=5)
    table = table.append_column("user", pa.array([f"u{i}" for i in range(400)]))
    path = tmp_path / "log.parquet"
    pq.write_table(table, path)
    log = read_log(str(path))
    slog = read_spark_log(str(path), spark=spark)
    assert log.identifiers == slog.identifiers == ("user",)
    assert [f.name for f in slog.features] == [f.name for f in log.features]
    assert "user" not in {f.name for f in log.features}


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_spark_rejects_latency_like_read_log(spark, tmp_path: Path, bad: float) -> None:  # type: ignore[no-untyped-def]
    table = make_table(200, seed=4)
    latency = table.column("latency_ms").to_numpy().copy()
    latency[50] = bad
    path = tmp_path / "log.parquet"
    pq.write_table(
        table.set_column(
            table.schema.get_field_index("latency_ms"), "latency_ms", pa.array(latency)
        ),
        path,
    )
    with pytest.raises(LogSchemaError, match="latency is NaN or infinite") as duck:
        read_log(str(path))
    with pytest.raises(LogSchemaError, match="latency is NaN or infinite") as spk:
        read_spark_log(str(path), spark=spark)
    assert duck.value.column == spk.value.column == "latency_ms"


def test_edges_computed_by_spark_equal_duckdb(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tab = make_table(2001, seed=5)
    x = tab["x"].to_numpy(zero_copy_only=False).copy()
    x[:7] = [np.inf, -np.inf, 1.0, 1.0, 1.0, 1.0, 1.0]  # infinities and ties
    tab = tab.set_column(tab.column_names.index("x"), "x", pa.array(x))
    path = tmp_path / "ref.parquet"
    pq.write_table(tab, path)
    log = read_log(str(path))
    df = spark.read.parquet(str(path)).cache()
    full = None
    # exact edges, then edges of the hash sample (about 500 of the 2001 rows)
    for k, rows in ((37, 10_000), (20, 10_000), (20, 500)):
        kw = {
            "numeric": ["x", "z"],
            "categorical": ["colour", "country"],
            "numeric_bins": k,
            "max_categories": 2,
            "sample_key": "prediction_id",
            "sample_rows": rows,
        }
        want = compute_bins(log.con, f'SELECT * FROM "{log.view}"', **kw)  # type: ignore[arg-type]
        got = spark_bins(df, **kw)  # type: ignore[arg-type]
        assert got == want
        if k == 20:
            if full is None:
                full = want
            else:  # the sample really is a sample, with the full reference's categories
                assert want.numeric_edges["x"] != full.numeric_edges["x"]
                assert want.categories == full.categories


def test_same_summaries_with_reference_range(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "log.parquet"
    pq.write_table(make_table(1500, seed=1), path)
    _, _, d, s = _both(path, spark, reference_end="2026-01-04", sample_size=50)
    _assert_same(d, s)
    assert s.meta.engine == "spark"


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    n=st.integers(20, 400),
    seed=st.integers(0, 10_000),
    days=st.integers(1, 9),
    bucket=st.sampled_from(["hour", "day", "week"]),
)
def test_same_summaries_random_logs(spark, tmp_path_factory, n, seed, days, bucket) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("rand") / "log.parquet"
    pq.write_table(make_table(n, seed=seed, days=days), path)
    _, _, d, s = _both(path, spark, reference_end="2026-01-01", bucket=bucket, sample_size=20)
    _assert_same(d, s)


def test_same_summaries_every_simulated_cause(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    parts = []
    for i, fault in enumerate(FAULTS):
        sim = simulate(domain="fraud", fault=fault, days=16, rows_per_day=40, seed=i)
        t = sim.log
        ids = pc.binary_join_element_wise(
            pa.scalar(f"{fault}-"), t["prediction_id"].cast(pa.string()), ""
        )
        t = t.set_column(t.column_names.index("prediction_id"), "prediction_id", ids)
        t = t.append_column("cause", pa.array([fault] * t.num_rows))
        parts.append(t)
    path = tmp_path / "causes.parquet"
    pq.write_table(pa.concat_tables(parts, promote_options="permissive"), path)
    ref_end = str(
        simulate(domain="fraud", fault="none", days=16, rows_per_day=40, seed=0).truth[
            "reference_end"
        ]
    )
    _, _, d, s = _both(
        path, spark, segments=["cause", "country"], reference_end=ref_end, sample_size=30
    )
    assert d.meta.segments == ["cause", "country"]
    _assert_same(d, s)


@pytest.mark.skipif(
    importlib.util.find_spec("modelward._triage_api") is None,
    reason="modelward._triage_api is not written yet (triage in progress)",
)
def test_same_triage_findings(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from modelward.analyses.triage.run import run_triage

    sim = simulate(domain="fraud", fault="covariate_drift", days=20, rows_per_day=60, seed=2)
    path = tmp_path / "log.parquet"
    pq.write_table(sim.log, path)
    kw = {"reference_end": sim.truth["reference_end"]}
    _, _, d, s = _both(path, spark, **kw)
    fd, fs = run_triage(d).findings, run_triage(s).findings
    assert [(f.cause, f.onset, f.segment, f.features) for f in fd] == [
        (f.cause, f.onset, f.segment, f.features) for f in fs
    ]
    np.testing.assert_allclose([f.confidence for f in fs], [f.confidence for f in fd], atol=1e-9)
