"""modelward drift vs Evidently's DataDriftPreset on the same reference/current data.

Evidently is NOT a dependency of modelward: this script creates (once) a separate
virtualenv and installs Evidently there, then runs Evidently in that venv as a
subprocess on Parquet files this process writes. The default venv is
``/tmp/modelward-evidently-venv``; it is created with::

    python -m venv /tmp/modelward-evidently-venv
    /tmp/modelward-evidently-venv/bin/pip install "evidently>=0.7,<0.8" "pandas<3" pyarrow

(Evidently 0.7 does not import under pandas 3, hence the pin.) The data: 20
numeric and 5 categorical features, of which 3 are truly shifted in the current
window (two numeric mean/scale shifts and one categorical mix change); the rest
come from the same distribution as the reference. Both tools get the same rows.

Run: ``.venv/bin/python benchmarks/vs_evidently.py [--sizes 100000 1000000]``
(``--venv DIR`` to choose where Evidently lives). Each size is split half
reference, half current. Prints both wall times (modelward: read_log ->
summarise -> analyse_drift; Evidently: read Parquet -> Report.run), their
ratio, and the drifted columns each flags. Target: modelward >= 10x faster at
1M rows, with the same drifted columns.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

N_NUM, N_CAT = 20, 5
SHIFTED = ("num_3", "num_11", "cat_2")
DEFAULT_VENV = Path("/tmp/modelward-evidently-venv")

EVIDENTLY_RUNNER = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
ref_path, cur_path = sys.argv[1], sys.argv[2]
num, cat = sys.argv[3].split(","), sys.argv[4].split(",")
t_import = time.perf_counter() - t0
t = time.perf_counter()
ref = pd.read_parquet(ref_path, columns=num + cat)
cur = pd.read_parquet(cur_path, columns=num + cat)
dd = DataDefinition(numerical_columns=num, categorical_columns=cat)
snap = Report([DataDriftPreset()]).run(
    reference_data=Dataset.from_pandas(ref, data_definition=dd),
    current_data=Dataset.from_pandas(cur, data_definition=dd),
)
elapsed = time.perf_counter() - t
drifted = []
for m in snap.dict()["metrics"]:
    cfg = m.get("config", {})
    col = cfg.get("column")
    if not col or "ValueDrift" not in cfg.get("type", ""):
        continue
    method, thr, value = cfg.get("method", ""), cfg.get("threshold"), m["value"]
    pvalue_test = any(k in method.lower() for k in ("p_value", "chi", "k-s", "ks", "z-test"))
    detected = value < thr if pvalue_test else value >= thr
    if detected:
        drifted.append(col)
print(json.dumps({"seconds": elapsed, "import_seconds": t_import, "drifted": sorted(drifted)}))
"""


def generate(n: int, *, current: bool, seed: int) -> pa.Table:
    """``n`` rows of the reference (or current, with the 3 shifts) distribution."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2026-02-01" if current else "2026-01-01", "s")
    ts = t0 + rng.integers(0, 14 * 86400, n).astype("timedelta64[s]")
    score = rng.random(n)
    cols: dict[str, pa.Array] = {
        "prediction_id": pa.array(
            np.char.add("c" if current else "r", np.arange(n).astype(str)), pa.string()
        ),
        "timestamp": pa.array(ts.astype("datetime64[us]")),
        "score": pa.array(score),
        "prediction": pa.array((score > 0.5).astype(np.int64)),
    }
    for i in range(N_NUM):
        x = rng.normal(i, 1 + i % 5, n)
        if current and f"num_{i}" in SHIFTED:
            x = x + 0.5 * (1 + i % 5) if i == 3 else x * 1.5
        cols[f"num_{i}"] = pa.array(x)
    for i in range(N_CAT):
        k = 4 + 2 * i
        p = np.full(k, 1.0 / k)
        if current and f"cat_{i}" in SHIFTED:
            p = np.linspace(2.0, 0.5, k)
            p /= p.sum()
        cols[f"cat_{i}"] = pa.array(np.char.add("v", rng.choice(k, n, p=p).astype(str)))
    return pa.table(cols)


def ensure_venv(venv: Path) -> Path:
    """The Python of a venv with Evidently, created and installed if missing."""
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import evidently, pandas, pyarrow"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, "evidently>=0.7,<0.8", "pandas<3", "pyarrow"], check=True)
    subprocess.run(probe, check=True)
    return py


def run_modelward(ref: Path, cur: Path) -> tuple[float, list[str]]:
    """Wall time of read_log -> summarise -> analyse_drift, and the drifted features."""
    from modelward.analyses.drift import analyse_drift
    from modelward.engine import get_engine
    from modelward.io import read_log

    t = time.perf_counter()
    log = read_log(str(cur), segments=[])
    reference = read_log(str(ref), segments=[])
    summaries = get_engine().summarise(log, reference=reference)
    result = analyse_drift(summaries, multivariate=False)
    elapsed = time.perf_counter() - t
    drifted = sorted(f.feature for f in result.features if f.segment == "" and f.drifted)
    return elapsed, drifted


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = p.parse_args()
    try:
        py = ensure_venv(args.venv)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"Evidently could not be installed in {args.venv}: {exc}")
        raise SystemExit(2) from exc
    num = ",".join(f"num_{i}" for i in range(N_NUM))
    cat = ",".join(f"cat_{i}" for i in range(N_CAT))
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            ref, cur = Path(tmp) / f"ref_{n}.parquet", Path(tmp) / f"cur_{n}.parquet"
            pq.write_table(generate(n // 2, current=False, seed=1), ref)
            pq.write_table(generate(n - n // 2, current=True, seed=2), cur)
            mw_s, mw_drifted = run_modelward(ref, cur)
            proc = subprocess.run(
                [str(py), "-c", EVIDENTLY_RUNNER, str(ref), str(cur), num, cat],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                print(f"Evidently failed at {n:,} rows:\n{proc.stderr[-2000:]}")
                raise SystemExit(1)
            ev = json.loads(proc.stdout.strip().splitlines()[-1])
            same = set(mw_drifted) == set(ev["drifted"])
            print(
                f"{n:>9,} rows: modelward {mw_s:.2f}s  evidently {ev['seconds']:.2f}s "
                f"(+{ev['import_seconds']:.1f}s import)  ratio {ev['seconds'] / mw_s:.1f}x "
                f"(target >= 10 at 1M)  same drifted columns: {same}"
            )
            print(f"    truly shifted: {sorted(SHIFTED)}")
            print(f"    modelward:     {mw_drifted}")
            print(f"    evidently:     {ev['drifted']}")


if __name__ == "__main__":
    main()
