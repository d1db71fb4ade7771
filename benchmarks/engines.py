"""DuckDB vs Spark local[2]: summarise time, driver peak memory, Spark's scaling with rows.

Usage: ``python benchmarks/engines.py [ROWS ...]`` (default 1000000 10000000).
Writes a random log (tests/engine/engine_logs.make_table layout) per size to a
temporary Parquet file, then times ``summarise`` with both engines on the same
bins. Peak memory is the driver process's max RSS (Python + the JVM for Spark:
Spark runs in its own JVM child process in local mode, measured via
RUSAGE_CHILDREN).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.engine_logs import make_table

from modelward.engine import get_engine
from modelward.engine._spark_log import read_spark_log
from modelward.engine.spark_engine import SparkEngine, local_spark_session
from modelward.io import read_log


def _write(rows: int, path: Path) -> None:
    chunk = 500_000
    writer = None
    for i, start in enumerate(range(0, rows, chunk)):
        t = make_table(min(chunk, rows - start), seed=i, days=30)
        ids = pa.array([f"{i}_{j}" for j in range(t.num_rows)])
        t = t.set_column(0, "prediction_id", ids)
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t)
    assert writer is not None
    writer.close()


def _mb(kb: int) -> float:
    return kb / 1024


def main(sizes: list[int]) -> None:
    spark = local_spark_session(cores=2, driver_memory="2g", shuffle_partitions=4)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = Path(tmp) / f"log_{rows}.parquet"
            _write(rows, path)
            log = read_log(str(path))
            t0 = time.perf_counter()
            d = get_engine("duckdb").summarise(log, reference_end="2026-01-10")
            t_duck = time.perf_counter() - t0
            rss_self = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            slog = read_spark_log(str(path), spark=spark, like=log)
            t0 = time.perf_counter()
            SparkEngine(spark=spark).summarise(slog, reference_end="2026-01-10", bins=d.meta.bins)
            t_spark = time.perf_counter() - t0
            rss_jvm = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            results.append((rows, t_duck, t_spark, rss_self, rss_jvm))
            print(
                f"rows={rows:>10,}  duckdb={t_duck:7.1f}s  spark local[2]={t_spark:7.1f}s  "
                f"python peak RSS={rss_self:7.0f} MB  JVM peak RSS={rss_jvm:7.0f} MB",
                flush=True,
            )
    if len(results) > 1:
        (r0, _, s0, _, _), (r1, _, s1, _, _) = results[0], results[-1]
        print(f"spark time x{s1 / s0:.2f} for rows x{r1 / r0:.1f}")
    spark.stop()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000, 10_000_000])
