"""Scale check of the engine: summarise() vs the DuckDB scan floor, and peak RSS.

Generates logs of 1M and 5M rows (25 numeric + 5 categorical features, 60 daily
buckets, 2 segment columns) with numpy/pyarrow, then, each size in its own
subprocess so peak RSS is per size, times

* the scan floor: DuckDB alone computing count/sum/min/max of every column;
* ``get_engine().summarise(log, reference_end=...)``.

Run: ``.venv/bin/python benchmarks/check_scale.py [--sizes 1000000 5000000]``.
Targets: summarise <= 3x the floor; peak RSS < 2 GB and not growing with rows.
Wall times swing with other load on a shared machine; the CPU-time ratio printed
beside them (process user+sys time, all threads) is steadier.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_NUM, N_CAT, DAYS = 25, 5, 60


def generate(n: int, path: Path, *, seed: int = 0) -> None:
    """Write a random prediction log of ``n`` rows to ``path`` in row groups."""
    rng = np.random.default_rng(seed)
    writer = None
    chunk = 500_000
    t0 = np.datetime64("2026-01-01T00:00:00", "s")
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        ts = t0 + (np.sort(rng.integers(0, DAYS * 86400, m)) // 1).astype("timedelta64[s]")
        score = rng.random(m)
        lab = (rng.random(m) < score).astype(np.int64)
        unl = rng.random(m) < 0.3
        cols: dict[str, pa.Array] = {
            "prediction_id": pa.array(np.char.add("p", np.arange(start, start + m).astype(str))),
            "timestamp": pa.array(ts.astype("datetime64[us]")),
            "score": pa.array(score),
            "prediction": pa.array((score > 0.5).astype(np.int64)),
            "label": pa.array(lab, mask=unl),
            "label_timestamp": pa.array(
                (ts + rng.exponential(86400, m).astype("timedelta64[s]")).astype("datetime64[us]"),
                mask=unl,
            ),
            "latency_ms": pa.array(rng.lognormal(3, 1, m)),
        }
        for i in range(N_NUM):
            cols[f"num_{i}"] = pa.array(rng.normal(i, 1 + i, m), mask=rng.random(m) < 0.01)
        for i in range(N_CAT):
            k = rng.integers(0, 10 * (i + 1), m).astype(str)
            cols[f"cat_{i}"] = pa.array(np.char.add("v", k))
        cols["country"] = pa.array(np.array(["US", "DE", "FR", "GB", "JP"])[rng.integers(0, 5, m)])
        cols["device"] = pa.array(np.array(["ios", "android", "web"])[rng.integers(0, 3, m)])
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=128 * 1024)
    if writer is not None:
        writer.close()


def run_one(path: Path) -> dict[str, object]:
    """Time the floor and summarise() on one file (in this process)."""
    import duckdb

    from modelward.engine import get_engine
    from modelward.io.columns import ColumnRoles
    from modelward.io.log import Feature, PredictionLog

    con = duckdb.connect()
    con.execute(f"CREATE VIEW log AS SELECT * FROM read_parquet('{path}')")
    desc = con.execute("DESCRIBE log").fetchall()
    schema = {r[0]: r[1] for r in desc}
    aggs = []
    for c, typ in schema.items():
        q = f'"{c}"'
        aggs += [f"count({q})", f"min({q})", f"max({q})"]
        if typ in ("DOUBLE", "BIGINT"):
            aggs.append(f"sum({q})")
    t, c = time.perf_counter(), time.process_time()
    con.execute(f"SELECT {', '.join(aggs)} FROM log").fetchall()
    floor = time.perf_counter() - t
    floor_cpu = time.process_time() - c
    n = con.execute("SELECT count(*) FROM log").fetchall()[0][0]
    feats = tuple(Feature(f"num_{i}", "numeric", "DOUBLE") for i in range(N_NUM)) + tuple(
        Feature(f"cat_{i}", "categorical", "VARCHAR") for i in range(N_CAT)
    )
    log = PredictionLog(
        con=con,
        view="log",
        source=str(path),
        roles=ColumnRoles().resolve(schema),
        features=feats,
        segments=("country", "device"),
        task="binary",
        n_rows=n,
        schema=schema,
    )
    t, c = time.perf_counter(), time.process_time()
    s = get_engine().summarise(log, reference_end="2026-01-14")
    total = time.perf_counter() - t
    total_cpu = time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = sum(tab.num_rows for tab in s.tables.values())
    return {
        "rows": n,
        "floor_s": floor,
        "summarise_s": total,
        "ratio": total / floor,
        "floor_cpu_s": floor_cpu,
        "summarise_cpu_s": total_cpu,
        "peak_rss_mb": rss,
        "summary_rows": rows,
        "rows_per_table": {k: tab.num_rows for k, tab in s.tables.items()},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="*", type=int, default=[1_000_000, 5_000_000])
    p.add_argument("--one", type=Path)
    p.add_argument("--dir", type=Path, help="keep (and reuse) the generated logs here")
    args = p.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            path = folder / f"log_{n}.parquet"
            if not path.exists():
                generate(n, path)
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{n:>9,} rows: floor {r['floor_s']:.2f}s  summarise {r['summarise_s']:.2f}s  "
                f"ratio {r['ratio']:.2f} (target <= 3)  peak RSS {r['peak_rss_mb']:.0f} MB "
                f"(target < 2048)  summary rows {r['summary_rows']:,}"
            )
            print(
                f"    CPU time (user+sys, all threads; robust on a shared machine): floor "
                f"{r['floor_cpu_s']:.2f}s  summarise {r['summarise_cpu_s']:.2f}s  "
                f"ratio {r['summarise_cpu_s'] / r['floor_cpu_s']:.2f}"
            )
            print("    " + ", ".join(f"{k} {v:,}" for k, v in r["rows_per_table"].items()))


if __name__ == "__main__":
    main()
