"""Time the simulator: ``python benchmarks/simulate_speed.py [rows] [fault] [domain]``.

Prints seconds and rows per second for simulating (and writing) a log of about
``rows`` predictions (default 1,000,000, fraud, covariate drift). Not a test.
"""

from __future__ import annotations

import sys
import tempfile
import time

from modelward.simulate import simulate


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    fault = sys.argv[2] if len(sys.argv) > 2 else "covariate_drift"
    domain = sys.argv[3] if len(sys.argv) > 3 else "fraud"
    days = 42
    t0 = time.perf_counter()
    result = simulate(
        domain=domain, fault=fault, magnitude=0.5, days=days, rows_per_day=rows // days, seed=0
    )
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result.write(out)
    t2 = time.perf_counter()
    n = result.log.num_rows
    print(
        f"{domain} {fault}: {n:,} rows simulated in {t1 - t0:.2f} s ({n / (t1 - t0):,.0f} rows/s)"
    )
    print(f"written in {t2 - t1:.2f} s; total {t2 - t0:.2f} s")


if __name__ == "__main__":
    main()
