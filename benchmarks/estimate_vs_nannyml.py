"""Benchmark: modelward's CBPE (from summaries) against NannyML's CBPE on the same data.

NannyML is *not* a dependency of modelward. This script makes its own virtual
environment (default ``/tmp/nannyml-venv``, override with ``--venv``) with
``python3.11 -m venv`` and ``pip install nannyml statsmodels pyarrow`` (NannyML
0.13.1 imports statsmodels without declaring it), unless that environment
already imports nannyml. NannyML then runs in a subprocess with that venv's
Python, reading the same Parquet files.

Data: a simulated ``content_moderation`` log with covariate drift
(default 60 days x 5,000 rows/day, onset day 30), restricted to its labelled
rows so that every chunk's realised ROC-AUC is known; reference = the first
20 days, analysis = the rest, daily chunks. Realised ROC-AUC per chunk is
computed exactly (scikit-learn) by this script, the same for both tools.

Printed: per-chunk mean absolute error of estimated vs realised ROC-AUC for
both tools, and their runtimes (modelward: summarise + estimate; NannyML:
fit + estimate, both inside the process, imports excluded).

Run::

    .venv/bin/python benchmarks/estimate_vs_nannyml.py [--days 60] [--rows-per-day 5000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

from modelward.analyses.estimate import estimate_performance
from modelward.engine import get_engine
from modelward.io import read_log
from modelward.simulate import simulate

NANNYML_RUNNER = r"""
import json, sys, time
import pandas as pd
import nannyml as nml

ref = pd.read_parquet(sys.argv[1])
ana = pd.read_parquet(sys.argv[2])
t0 = time.perf_counter()
est = nml.CBPE(
    y_pred_proba="score", y_pred="prediction", y_true="label",
    timestamp_column_name="timestamp", metrics=["roc_auc"], chunk_period="D",
    problem_type="classification_binary",
)
est.fit(ref)
res = est.estimate(ana)
elapsed = time.perf_counter() - t0
df = res.filter(period="analysis").to_df()
out = [
    {"start": str(s), "estimated": float(v)}
    for s, v in zip(df[("chunk", "start_date")], df[("roc_auc", "value")])
]
print(json.dumps({"version": nml.__version__, "seconds": elapsed, "chunks": out}))
"""


def ensure_nannyml(venv: Path) -> tuple[Path | None, str]:
    """The venv's python if it imports nannyml (creating the venv if needed), else why not."""
    py = venv / "bin" / "python"
    check = [str(py), "-c", "import nannyml"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py, "existing venv"
    base = shutil.which("python3.11") or sys.executable
    steps = [
        [base, "-m", "venv", str(venv)],
        [str(py), "-m", "pip", "install", "-q", "nannyml", "statsmodels", "pyarrow"],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if "is ignored" not in ln]
            return None, f"{' '.join(cmd)} failed: {' '.join(lines[-3:])}"
    if subprocess.run(check, capture_output=True).returncode != 0:
        err = subprocess.run(check, capture_output=True, text=True).stderr.splitlines()
        return None, f"nannyml installed but does not import: {err[-1] if err else '?'}"
    return py, "created venv"


def realised_auc(table: pa.Table) -> dict[datetime, tuple[float, int]]:
    """Exact ROC-AUC and row count per day (chunks with both classes)."""
    day = np.asarray(
        pc.floor_temporal(table["timestamp"], unit="day").cast(pa.timestamp("us")).to_pylist()
    )
    y = np.asarray(table["label"].to_numpy(), np.int64)
    s = np.asarray(table["score"].to_numpy(), np.float64)
    out = {}
    for d in sorted(set(day)):
        m = day == d
        if 0 < y[m].sum() < m.sum():
            out[d.replace(tzinfo=None)] = (float(roc_auc_score(y[m], s[m])), int(m.sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--rows-per-day", type=int, default=5000)
    ap.add_argument("--reference-days", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=Path("/tmp/nannyml-venv"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    sim = simulate(
        domain="content_moderation",
        fault="covariate_drift",
        magnitude=0.8,
        onset_day=args.days // 2,
        days=args.days,
        rows_per_day=args.rows_per_day,
        seed=args.seed,
    )
    log = sim.log.filter(pc.is_valid(sim.log["label"]))
    log = log.select(["prediction_id", "timestamp", "score", "prediction", "label"])
    ref_end = datetime(2026, 1, 1) + timedelta(days=args.reference_days)
    is_ref = pc.less(log["timestamp"], pa.scalar(ref_end, pa.timestamp("us", "UTC")))
    ref, ana = log.filter(is_ref), log.filter(pc.invert(is_ref))
    print(
        f"data: {sim.log.num_rows:,} rows simulated, {log.num_rows:,} labelled "
        f"(reference {ref.num_rows:,}, analysis {ana.num_rows:,}), covariate drift from day "
        f"{args.days // 2}"
    )
    truth = realised_auc(ana)

    # modelward: summarise (one scan) + estimate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        summ = get_engine().summarise(
            read_log(log), reference_end=(ref_end - timedelta(days=1)).date().isoformat()
        )
        t1 = time.perf_counter()
        res = estimate_performance(summ, seed=args.seed)
        t2 = time.perf_counter()
    assert res is not None
    mw = {
        w.bucket: w.metrics["roc_auc"].value
        for w in res.by_bucket
        if w.window == "current" and w.bucket is not None
    }

    with tempfile.TemporaryDirectory() as tmp:
        pr, pa_ = Path(tmp) / "reference.parquet", Path(tmp) / "analysis.parquet"
        pq.write_table(ref, pr)
        pq.write_table(ana, pa_)
        py, how = ensure_nannyml(args.venv)
        nm: dict[datetime, float] = {}
        nm_info = how
        if py is not None:
            runner = Path(tmp) / "run_nannyml.py"
            runner.write_text(NANNYML_RUNNER)
            proc = subprocess.run(
                [str(py), str(runner), str(pr), str(pa_)], capture_output=True, text=True
            )
            if proc.returncode != 0:
                nm_info = "NannyML run failed: " + " | ".join(proc.stderr.splitlines()[-3:])
                py = None
            else:
                out = json.loads(proc.stdout.strip().splitlines()[-1])
                for c in out["chunks"]:
                    start = datetime.fromisoformat(c["start"][:19].replace("T", " "))
                    nm[start] = c["estimated"]
                nm_info = f"nannyml {out['version']} ({how}), fit+estimate {out['seconds']:.2f} s"

    days = [d for d in sorted(truth) if d in mw and mw[d] is not None]
    both = [d for d in days if d in nm]
    err_mw = np.array([abs(mw[d] - truth[d][0]) for d in days])  # type: ignore[operator]
    rows = np.median([truth[d][1] for d in days])
    print(f"chunks with realised ROC-AUC: {len(days)} (median {rows:.0f} rows)")
    print(
        f"modelward: MAE(estimated vs realised ROC-AUC) = {err_mw.mean():.4f} over {len(days)} "
        f"chunks; runtime summarise {t1 - t0:.2f} s + estimate {t2 - t1:.2f} s"
    )
    if both:
        e_mw = np.array([abs(mw[d] - truth[d][0]) for d in both])  # type: ignore[operator]
        e_nm = np.array([abs(nm[d] - truth[d][0]) for d in both])
        print(f"NannyML:   MAE = {e_nm.mean():.4f} over {len(both)} chunks; {nm_info}")
        print(
            f"on the same {len(both)} chunks: modelward MAE {e_mw.mean():.4f}, "
            f"NannyML {e_nm.mean():.4f}"
        )
    else:
        print(f"NannyML:   not run ({nm_info})")


if __name__ == "__main__":
    main()
