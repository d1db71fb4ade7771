"""DuckDB vs Spark local[2]: summarise time, driver peak memory, Spark's scaling with rows.

Usage: ``python benchmarks/engines.py [ROWS ...] [--dir DIR] [--engines duckdb spark]``
(default sizes 1000000 10000000). Writes a random log per size
(tests/engine/engine_logs.make_table layout: 2 numeric + 2 categorical features,
1 segment column, binary task with scores, 30 daily buckets) to Parquet, then
runs each (engine, size) in its own subprocess and prints:

* ``read``: resolving the log (``read_log`` / ``read_spark_log``, one pass in Spark);
* ``summarise``: ``summarise(log, reference_end=...)`` end to end, bins included;
* peak RSS of the Python driver process and, for Spark, of its JVM (local mode
  runs the executors inside that JVM), read from ``VmHWM`` in ``/proc``;
* for Spark, the session start (JVM launch) separately.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _write(rows: int, path: Path) -> None:
    from tests.engine.engine_logs import make_table

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


def _hwm_mb(pid: int | str = "self") -> float:
    """Peak resident set size of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(engine: str, path: Path) -> dict[str, float]:
    """Time one engine on one file, in this process."""
    if engine == "duckdb":
        from modelward.engine import get_engine
        from modelward.io import read_log

        t0 = time.perf_counter()
        log = read_log(str(path))
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        get_engine("duckdb").summarise(log, reference_end="2026-01-10")
        t_sum = time.perf_counter() - t0
        return {"read_s": t_read, "summarise_s": t_sum, "py_mb": _hwm_mb()}
    from modelward.engine._spark_log import read_spark_log
    from modelward.engine.spark_engine import SparkEngine, local_spark_session

    t0 = time.perf_counter()
    spark = local_spark_session(cores=2, driver_memory="2g", shuffle_partitions=4)
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())  # type: ignore[union-attr]
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    slog = read_spark_log(str(path), spark=spark)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    SparkEngine(spark=spark).summarise(slog, reference_end="2026-01-10")
    t_sum = time.perf_counter() - t0
    out = {
        "start_s": t_start,
        "read_s": t_read,
        "summarise_s": t_sum,
        "py_mb": _hwm_mb(),
        "jvm_mb": _hwm_mb(jvm_pid),
    }
    spark.stop()
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    p.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "out" / "engines")
    p.add_argument("--engines", nargs="*", default=["duckdb", "spark"])
    p.add_argument("--one", nargs=2, metavar=("ENGINE", "PATH"))
    args = p.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    spark_times: list[tuple[int, float]] = []
    for rows in args.sizes:
        path = args.dir / f"log_{rows}.parquet"
        if not path.exists():
            _write(rows, path)
        for engine in args.engines:
            res = subprocess.run(
                [sys.executable, __file__, "--one", engine, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(res.stdout.strip().splitlines()[-1])
            line = (
                f"rows={rows:>11,}  {engine:<6}  read={r['read_s']:6.1f}s  "
                f"summarise={r['summarise_s']:7.1f}s  python peak RSS={r['py_mb']:6.0f} MB"
            )
            if engine == "spark":
                line += f"  JVM peak RSS={r['jvm_mb']:6.0f} MB  session start={r['start_s']:.1f}s"
                spark_times.append((rows, r["summarise_s"]))
            print(line, flush=True)
    if len(spark_times) > 1:
        (r0, s0), (r1, s1) = spark_times[0], spark_times[-1]
        print(f"spark summarise time x{s1 / s0:.2f} for rows x{r1 / r0:.1f}")


if __name__ == "__main__":
    main()
