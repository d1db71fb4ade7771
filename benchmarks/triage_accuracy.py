"""Triage graded like an exam on randomised simulated incidents.

Scenarios: domains x causes (including ``none``) x magnitudes x seeds, with a
random onset, a random segment for segment-scoped causes (half the time),
sudden or gradual onsets and random variants. Scores: top-1 and top-3 cause
accuracy, a confusion table, the false-alarm rate on healthy systems, the
median onset error (days), segment and feature match rates, and runtime.

Usage::

    python benchmarks/triage_accuracy.py --n 200 --seed0 1000 > docs/_triage_table.txt

Tune on seeds 0-99; report on seeds 1000+ (held out).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime

import numpy as np

from modelward._api import summarise
from modelward.analyses.triage import CAUSES, run_triage
from modelward.io.events import parse_event_time
from modelward.simulate import simulate
from modelward.simulate._domains import DOMAINS

ALL = (*CAUSES, "none")
SEGMENTABLE = ("covariate_drift", "prior_shift", "latency_regression", "label_delay")


def scenario(i: int, seed0: int) -> dict[str, object]:
    """The i-th scenario: every parameter drawn from a seeded generator."""
    rng = np.random.default_rng([seed0, i])
    cause = ALL[i % len(ALL)]
    domain = sorted(DOMAINS)[int(rng.integers(len(DOMAINS)))]
    days = int(rng.integers(45, 61))
    params: dict[str, object] = {
        "domain": domain,
        "fault": cause,
        "magnitude": round(float(rng.uniform(0.3, 1.0)), 2),
        "days": days,
        "rows_per_day": int(rng.integers(1500, 4001)),
        "seed": seed0 + i,
        "gradual_days": float(rng.choice([0.0, 0.0, 3.0, 7.0])),
    }
    if cause == "data_gap" or (cause in SEGMENTABLE and rng.random() < 0.5):
        dom = DOMAINS[domain]
        col = dom.segments[int(rng.integers(len(dom.segments)))]
        params["_segment_column"] = col
    if cause in ("covariate_drift", "prior_shift"):
        params["variant"] = "up" if rng.random() < 0.5 else "down"
    return params


def _segment_value(params: dict[str, object]) -> str | None:
    col = params.pop("_segment_column", None)
    if col is None:
        return None
    probe = simulate(**{**params, "fault": "none", "variant": None, "days": 6, "rows_per_day": 400})  # type: ignore[arg-type]
    vals = probe.log.column(str(col)).to_pylist()
    counts = Counter(v for v in vals if v is not None)
    rng = np.random.default_rng(int(params["seed"]))  # type: ignore[call-overload]
    options = sorted(v for v, c in counts.items() if c / len(vals) >= 0.05)
    return f"{col}={options[int(rng.integers(len(options)))]}"


def run(n: int, seed0: int, verbose: bool) -> dict[str, object]:
    rows = []
    for i in range(n):
        params = scenario(i, seed0)
        seg = _segment_value(params)
        t0 = time.perf_counter()
        sim = simulate(**params, segment=seg)  # type: ignore[arg-type]
        t1 = time.perf_counter()
        summ = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
        t2 = time.perf_counter()
        res = run_triage(summ, events=sim.events, as_of=parse_event_time(str(sim.truth["as_of"])))
        t3 = time.perf_counter()
        truth = sim.truth
        causes = [f.cause for f in res.findings]
        top = res.findings[0] if res.findings else None
        onset_err = None
        if top is not None and truth["onset"] and top.onset:
            a = datetime.fromisoformat(str(top.onset).replace("Z", "+00:00"))
            b = datetime.fromisoformat(str(truth["onset"]).replace("Z", "+00:00"))
            onset_err = abs((a - b).total_seconds()) / 86400
        row = {
            "cause": truth["cause"],
            "pred": causes[0] if causes else "none",
            "top3": causes[:3] or ["none"],
            "onset_err": onset_err,
            "segment_truth": truth["segment"],
            "segment_pred": top.segment if top else None,
            "features_truth": truth["features"],
            "features_pred": top.features if top else [],
            "rows": sim.log.num_rows,
            "t_summarise": t2 - t1,
            "t_triage": t3 - t2,
        }
        rows.append(row)
        if verbose:
            print(
                f"{i:3d} {row['cause']:18s} -> {row['pred']:18s} {params['domain']:18s} "
                f"m={params['magnitude']} g={params['gradual_days']} seg={seg} "
                f"onset_err={onset_err} t={t3 - t2:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    return {"rows": rows}


def report(rows: list[dict[str, object]]) -> str:
    out = []
    n = len(rows)
    faulty = [r for r in rows if r["cause"] != "none"]
    healthy = [r for r in rows if r["cause"] == "none"]
    top1 = np.mean([r["pred"] == r["cause"] for r in rows])
    top3 = np.mean([r["cause"] in r["top3"] for r in rows])  # type: ignore[operator]
    fa = np.mean([r["pred"] != "none" for r in healthy]) if healthy else float("nan")
    errs = [
        r["onset_err"] for r in faulty if r["pred"] == r["cause"] and r["onset_err"] is not None
    ]
    seg_rows = [r for r in faulty if r["segment_truth"] and r["pred"] == r["cause"]]
    seg = (
        np.mean([r["segment_pred"] == r["segment_truth"] for r in seg_rows])
        if seg_rows
        else float("nan")
    )
    feat_rows = [r for r in faulty if r["features_truth"] and r["pred"] == r["cause"]]
    feat = (
        np.mean(
            [
                bool(r["features_pred"]) and r["features_pred"][0] in r["features_truth"]
                for r in feat_rows
            ]
        )  # type: ignore[index,operator]
        if feat_rows
        else float("nan")
    )
    per_m = [
        (float(r["t_summarise"]) + float(r["t_triage"])) / float(r["rows"]) * 1e6  # type: ignore[arg-type]
        for r in rows
    ]
    tri = [float(r["t_triage"]) for r in rows]  # type: ignore[arg-type]
    out.append(f"scenarios: {n} ({len(healthy)} healthy)")
    out.append(f"top-1 cause accuracy: {top1:.3f}")
    out.append(f"top-3 cause accuracy: {top3:.3f}")
    out.append(f"false-alarm rate on healthy systems: {fa:.3f}")
    out.append(
        f"median onset error (days, correct top-1): {statistics.median(errs) if errs else float('nan'):.2f}"
    )
    out.append(f"segment match rate (segment-scoped, correct top-1): {seg:.3f} (n={len(seg_rows)})")
    out.append(
        f"feature match rate (first feature, correct top-1): {feat:.3f} (n={len(feat_rows)})"
    )
    out.append(
        f"triage time per scenario (summaries -> findings): median {statistics.median(tri):.2f} s"
    )
    out.append(f"summarise + triage per 1M rows: median {statistics.median(per_m):.1f} s")
    out.append("")
    out.append("confusion (rows: truth, columns: top-1 prediction)")
    labels = list(ALL)
    short = {c: c[:8] for c in labels}
    out.append(" " * 19 + " ".join(f"{short[c]:>8s}" for c in labels))
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        table[str(r["cause"])][str(r["pred"])] += 1
    for c in labels:
        out.append(f"{c:18s} " + " ".join(f"{table[c][p]:8d}" for p in labels))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    res = run(args.n, args.seed0, not args.quiet)
    print(report(res["rows"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
