"""Scale check of the engine: summarise() vs the DuckDB scan floor, and peak RSS.

Generates logs of 1M and 5M rows (25 numeric + 5 categorical features, 60 daily
buckets, 2 segment columns) with numpy/pyarrow, then, each size in its own
subprocess so peak RSS is per size, times

* the scan floor: DuckDB alone computing count/sum/min/max of every column;
* ``get_engine().summarise(log, reference_end=...)``.

Run: ``.venv/bin/python benchmarks/check_scale.py [--sizes 1000000 5000000]``.
Targets: summarise <= 3x the floor; peak RSS < 2 GB and not growing with rows.

The shape of the log is set by ``--days`` (daily buckets, default 60), ``--features``
(default 30: five in six numeric, one in six categorical) and ``--segments`` (1 to 3
segment columns with 5, 3 and 13 values; default 2). The many-cells memory case
(365 buckets x 50 features x 22 segment rows per bucket) is
``check_scale.py --sizes 2000000 --days 365 --features 50 --segments 3``.
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

SEGMENTS = {
    "country": ["US", "DE", "FR", "GB", "JP"],
    "device": ["ios", "android", "web"],
    "region": [f"r{i:02d}" for i in range(13)],
}


def shape(features: int) -> tuple[int, int]:
    """(numeric, categorical) feature counts for ``features`` features."""
    return features - features // 6, features // 6


def generate(
    n: int, path: Path, *, days: int = 60, features: int = 30, segments: int = 2, seed: int = 0
) -> None:
    """Write a random prediction log of ``n`` rows to ``path`` in row groups."""
    n_num, n_cat = shape(features)
    rng = np.random.default_rng(seed)
    writer = None
    chunk = 500_000
    t0 = np.datetime64("2026-01-01T00:00:00", "s")
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        ts = t0 + (np.sort(rng.integers(0, days * 86400, m)) // 1).astype("timedelta64[s]")
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
        for i in range(n_num):
            cols[f"num_{i}"] = pa.array(rng.normal(i, 1 + i, m), mask=rng.random(m) < 0.01)
        for i in range(n_cat):
            k = rng.integers(0, 10 * (i + 1), m).astype(str)
            cols[f"cat_{i}"] = pa.array(np.char.add("v", k))
        for name, values in list(SEGMENTS.items())[:segments]:
            cols[name] = pa.array(np.array(values)[rng.integers(0, len(values), m)])
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=128 * 1024)
    if writer is not None:
        writer.close()


def run_one(path: Path, *, features: int = 30, segments: int = 2) -> dict[str, object]:
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
    n_num, n_cat = shape(features)
    feats = tuple(Feature(f"num_{i}", "numeric", "DOUBLE") for i in range(n_num)) + tuple(
        Feature(f"cat_{i}", "categorical", "VARCHAR") for i in range(n_cat)
    )
    log = PredictionLog(
        con=con,
        view="log",
        source=str(path),
        roles=ColumnRoles().resolve(schema),
        features=feats,
        segments=tuple(SEGMENTS)[:segments],
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
    p.add_argument("--days", type=int, default=60, help="daily buckets in the log")
    p.add_argument("--features", type=int, default=30, help="features (1 in 6 categorical)")
    p.add_argument("--segments", type=int, default=2, choices=(1, 2, 3), help="segment columns")
    args = p.parse_args()
    shape_args = ["--features", str(args.features), "--segments", str(args.segments)]
    if args.one:
        print(json.dumps(run_one(args.one, features=args.features, segments=args.segments)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            path = folder / f"log_{n}_{args.days}d_{args.features}f_{args.segments}s.parquet"
            if not path.exists():
                generate(n, path, days=args.days, features=args.features, segments=args.segments)
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path), *shape_args],
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
