"""Server-side time of every dashboard page on a store at scale.

Builds a synthetic prediction log with 365 daily buckets, 50 features (40
numeric, 10 categorical) and a ``region`` segment column with 10 values
(``--rows-per-day`` rows a day, 500 by default), runs the real check (the
engine's ``summarise``, as :func:`modelward._api.summarise` does, and
:func:`modelward.analyses.check.run_check`), stores it twice with
:func:`modelward._api.save_check` (so the runs page has a diff) plus a forecast
of a small policy, then requests every page through FastAPI's ``TestClient``
(in process: the server's time, without network or browser) and prints, per
page, the first load (fresh app), the median of ``--repeat`` renders with the
run caches warm but no page cache (the cost after any write to the store), the
median with the store unchanged (page cache) and the response size.

Run: ``.venv/bin/python benchmarks/dashboard_pages.py [--dir /tmp/mw-dash] [--repeat 5]``
(``--dir`` keeps the log and store, and reuses them on the next run).
Target: every page under ~300 ms warm.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_NUM, N_CAT, DAYS, N_SEG = 40, 10, 365, 10
POLICY = """constraints:
  - metric: recall
    min: 0.3
  - metric: latency_p99
    max: 400
  - metric: precision
    min: 0.05
    for_each: region
"""


def generate(path: Path, *, rows_per_day: int, seed: int = 0) -> None:
    """Write the synthetic log: a slow drift in a few features, labels with a lag."""
    rng = np.random.default_rng(seed)
    m = DAYS * rows_per_day
    t0 = np.datetime64("2025-01-01T00:00:00", "s")
    secs = np.sort(rng.integers(0, DAYS * 86400, m))
    ts = t0 + secs.astype("timedelta64[s]")
    day = secs / 86400.0
    score = rng.random(m)
    lab = (rng.random(m) < 0.2 + 0.6 * score).astype(np.int64)
    unl = rng.random(m) < 0.3
    cols: dict[str, pa.Array] = {
        "prediction_id": pa.array(np.char.add("p", np.arange(m).astype(str))),
        "timestamp": pa.array(ts.astype("datetime64[us]")),
        "score": pa.array(score),
        "prediction": pa.array((score > 0.5).astype(np.int64)),
        "label": pa.array(lab, mask=unl),
        "label_timestamp": pa.array(
            (ts + rng.exponential(86400, m).astype("timedelta64[s]")).astype("datetime64[us]"),
            mask=unl,
        ),
        "latency_ms": pa.array(rng.lognormal(3 + day / 600, 0.8, m)),
    }
    for i in range(N_NUM):
        shift = (day / DAYS) * (1.5 if i < 5 else 0.0)  # five features drift slowly
        cols[f"num_{i}"] = pa.array(rng.normal(i + shift, 1 + i % 7, m), mask=rng.random(m) < 0.01)
    for i in range(N_CAT):
        k = rng.integers(0, 4 + 3 * i, m).astype(str)
        cols[f"cat_{i}"] = pa.array(np.char.add("v", k))
    cols["region"] = pa.array(np.char.add("r", rng.integers(0, N_SEG, m).astype(str)))
    pq.write_table(pa.table(cols), path, row_group_size=128 * 1024)


def build_store(log_path: Path, store_path: Path) -> float:
    """Summarise, check (twice) and forecast into a fresh store; seconds taken."""
    import duckdb

    from modelward._api import save_check
    from modelward.analyses.check import run_check
    from modelward.analyses.forecast import forecast_policy
    from modelward.analyses.policy import parse_policy
    from modelward.engine import get_engine
    from modelward.io.columns import ColumnRoles
    from modelward.io.log import Feature, PredictionLog
    from modelward.store import Store

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW log AS SELECT * FROM read_parquet('{log_path}')")
    schema = {r[0]: r[1] for r in con.execute("DESCRIBE log").fetchall()}
    n = con.execute("SELECT count(*) FROM log").fetchall()[0][0]
    feats = tuple(Feature(f"num_{i}", "numeric", "DOUBLE") for i in range(N_NUM)) + tuple(
        Feature(f"cat_{i}", "categorical", "VARCHAR") for i in range(N_CAT)
    )
    log = PredictionLog(
        con=con,
        view="log",
        source=str(log_path),
        roles=ColumnRoles().resolve(schema),
        features=feats,
        segments=("region",),
        task="binary",
        n_rows=n,
        schema=schema,
    )
    s = get_engine().summarise(log, reference_end="2025-02-01")
    print(f"  summarised {n:,} rows in {time.perf_counter() - start:.1f}s", flush=True)
    result = run_check(s)
    print(f"  checked in {time.perf_counter() - start:.1f}s", flush=True)
    with Store(store_path) as store:
        for _ in range(2):  # two checks, so the runs page has a diff
            save_check(store, system="bench", result=result, summaries=s, parameters={})
        fc = forecast_policy(result, parse_policy(POLICY), summaries=s, draws=200)
        store.save_run(system="bench", kind="forecast", source=result.source, parameters={},
                       meta={}, results=fc.model_dump(mode="json"), tables={})  # fmt: skip
    return time.perf_counter() - start


def pages() -> list[str]:
    base = "/systems/bench"
    return [
        "/",
        base,
        f"{base}/features/num_0",
        f"{base}/features/cat_3",
        f"{base}/costs",
        f"{base}/incidents",
        f"{base}/calendar",
        f"{base}/runs",
        "/lineage",
    ]


def _ms(client: Any, p: str) -> tuple[float, int]:
    t = time.perf_counter()
    r = client.get(p)
    ms = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, (p, r.status_code)
    return ms, len(r.content)


def time_pages(store_path: Path, repeat: int) -> list[tuple[str, float, float, float, float]]:
    """(page, first ms, rendered ms, cached ms, KB) of every page.

    *first*: a fresh app (cold caches); *rendered*: the page rendered again with
    the run caches warm but no page cache (what a page costs after any write to
    the store); *cached*: the store unchanged (the page cache answers).
    """
    from fastapi.testclient import TestClient

    from modelward.web.app import create_app

    cold = TestClient(create_app(store_path))
    nocache = TestClient(create_app(store_path, page_cache=0))
    out = []
    for p in pages():
        first, size = _ms(cold, p)
        _ms(nocache, p)
        rendered = statistics.median(_ms(nocache, p)[0] for _ in range(repeat))
        cached = statistics.median(_ms(cold, p)[0] for _ in range(repeat))
        out.append((p, first, rendered, cached, size / 1024))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, help="keep (and reuse) the log and store here")
    ap.add_argument("--rows-per-day", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log_path, store_path = folder / "log.parquet", folder / "store.duckdb"
        if not store_path.exists():
            print(f"building: {DAYS} days x {N_NUM + N_CAT} features x {N_SEG} segments, "
                  f"{args.rows_per_day} rows/day", flush=True)  # fmt: skip
            if not log_path.exists():
                generate(log_path, rows_per_day=args.rows_per_day)
            print(f"  store built in {build_store(log_path, store_path):.0f}s", flush=True)
        rows = time_pages(store_path, args.repeat)
    print(f"{'page':<34} {'first ms':>9} {'rendered ms':>12} {'cached ms':>10} {'KB':>7}")
    for p, first, rendered, cached, kb in rows:
        print(f"{p:<34} {first:>9.0f} {rendered:>12.0f} {cached:>10.1f} {kb:>7.0f}")
    print(
        f"slowest page: first {max(r[1] for r in rows):.0f} ms, rendered (run caches warm) "
        f"{max(r[2] for r in rows):.0f} ms, cached {max(r[3] for r in rows):.1f} ms"
    )


if __name__ == "__main__":
    main()
