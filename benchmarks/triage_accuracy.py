"""Triage graded like an exam on randomised simulated incidents.

Scenarios: domains x causes (including ``none``) x magnitudes x seeds, with a
random onset, a random segment for segment-scoped causes (half the time),
sudden or gradual onsets and random variants. Scores: top-1 and top-3 cause
accuracy, a confusion table, the false-alarm rate on healthy systems, the
median onset error (days), segment and feature match rates, and runtime.

Usage::

    python benchmarks/triage_accuracy.py --n 200 --handmade 18 --seed0 1000 \
        > benchmarks/out/triage_heldout.txt 2> benchmarks/out/triage_heldout.log

A second, independent check of generalisation: ``--handmade`` scenarios inject
the faults with :func:`modelward.simulate.inject` into logs the simulator did
not make (a numpy system with its own features, its own LogisticRegression
and its own column names), reported separately.

Tune on seeds 0-99; report on seeds 1000+ (held out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

from modelward._api import summarise
from modelward.analyses.triage import CAUSES, run_triage
from modelward.io.events import parse_event_time
from modelward.simulate import inject, simulate
from modelward.simulate._domains import DOMAINS

ALL = (*CAUSES, "none")
SEGMENTABLE = (
    "covariate_drift",
    "prior_shift",
    "concept_drift",
    "label_noise",
    "schema_change",
    "latency_regression",
    "label_delay",
)


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


def evaluate(
    log: pa.Table,
    truth: dict[str, object],
    *,
    columns: dict[str, str] | None = None,
    segments: list[str] | None = None,
) -> dict[str, object]:
    """Summarise, triage and grade one faulted log against its truth."""
    t1 = time.perf_counter()
    summ = summarise(
        log, reference_end=str(truth["reference_end"]), columns=columns, segments=segments
    )
    t2 = time.perf_counter()
    events = truth.get("events") or []
    res = run_triage(
        summ,
        events=events,  # type: ignore[arg-type]
        as_of=parse_event_time(str(truth["as_of"])),
        estimate=False,
    )
    t3 = time.perf_counter()
    causes = [f.cause for f in res.findings]
    top = res.findings[0] if res.findings else None
    onset_err = None
    if top is not None and truth["onset"] and top.onset:
        a = datetime.fromisoformat(str(top.onset).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(truth["onset"]).replace("Z", "+00:00"))
        onset_err = abs((a - b).total_seconds()) / 86400
    return {
        "cause": truth["cause"],
        "variant": truth.get("variant"),
        "pred": causes[0] if causes else "none",
        "top3": causes[:3] or ["none"],
        "onset_err": onset_err,
        "segment_truth": truth["segment"],
        "segment_pred": top.segment if top else None,
        "features_truth": truth["features"],
        "features_pred": top.features if top else [],
        "rows": log.num_rows,
        "t_summarise": t2 - t1,
        "t_triage": t3 - t2,
    }


#: Where each graded scenario is appended as one JSON line (``--jsonl``), so a partial
#: run can be reported with ``--report-from``.
_SINK: list[Path] = []


def _progress(i: int, row: dict[str, object], what: dict[str, object]) -> None:
    if _SINK:
        with _SINK[0].open("a") as fh:
            fh.write(json.dumps({**row, "i": i, "domain": what.get("domain")}, default=str) + "\n")
    print(
        f"{i:3d} {row['cause']:18s} -> {row['pred']:18s} {what.get('domain', ''):18s} "
        f"v={row['variant']} m={what.get('magnitude')} g={what.get('gradual_days')} "
        f"seg={row['segment_truth']}->{row['segment_pred']} onset_err={row['onset_err']} "
        f"t={row['t_triage']:.1f}s",
        file=sys.stderr,
        flush=True,
    )


def run(n: int, seed0: int, verbose: bool, first: int = 0) -> dict[str, object]:
    """Simulated scenarios ``first .. n-1`` of ``seed0``."""
    rows = []
    for i in range(first, n):
        params = scenario(i, seed0)
        seg = _segment_value(params)
        sim = simulate(**params, segment=seg)  # type: ignore[arg-type]
        truth = {**sim.truth, "events": sim.events}
        row = evaluate(sim.log, truth)
        rows.append(row)
        if verbose or _SINK:
            _progress(i, row, params)
    return {"rows": rows}


def run_handmade(n: int, seed0: int, verbose: bool) -> list[dict[str, object]]:
    """Hand-made scenarios: faults injected into numpy-made logs."""
    rows = []
    for i in range(n):
        log, truth, what = handmade_scenario(i, seed0)
        row = evaluate(log, truth, columns=HAND_ROLES, segments=HAND_SEGMENTS)
        rows.append(row)
        if verbose or _SINK:
            _progress(i, row, {**what, **dict(truth["parameters"])})  # type: ignore[call-overload]
    return rows


# --- a second, independent check: faults injected into a log the simulator did not make ---

#: Role -> column of the hand-made log (names unlike the simulator's).
HAND_ROLES = {
    "id": "req_id",
    "time": "event_time",
    "model_version": "model_ver",
    "score": "p_hat",
    "prediction": "decision",
    "label": "outcome",
    "label_time": "outcome_time",
    "latency": "serve_ms",
    "label_source": "annotator",
}
HAND_SEGMENTS = ["zone", "tier"]


def handmade_log(rng: np.random.Generator, days: int, rows_per_day: int) -> pa.Table:
    """A numpy-made system: its own features, a LogisticRegression, its own column names."""
    n = days * rows_per_day
    day = np.repeat(np.arange(days), rows_per_day)
    t0 = np.datetime64("2025-03-03T00:00:00", "us")
    t = t0 + (day * 86400 + rng.uniform(0, 86400, n)).astype("int64") * np.timedelta64(1, "s")
    zone = rng.choice(["north", "south", "east", "west"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    tier = rng.choice(["gold", "silver", "bronze"], size=n, p=[0.2, 0.3, 0.5])
    weekly = np.sin(2 * np.pi * day / 7)
    x1 = rng.lognormal(3.0 + 0.05 * weekly, 0.6, n)
    x2 = rng.normal(0.0, 1.0, n) + 0.4 * (zone == "south")
    x3 = rng.poisson(2.0 + (tier == "gold"), n).astype(np.float64)
    x4 = rng.gamma(2.0, 15.0, n)
    logit = (
        -2.2
        + 0.8 * (np.log(x1) - 3.0)
        + 0.9 * x2
        - 0.35 * x3
        + 0.02 * (x4 - 30)
        + 0.6 * (tier == "bronze")
        - 0.4 * (zone == "east")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    design = np.column_stack(
        [np.log(x1), x2, x3, x4, tier == "bronze", tier == "gold", zone == "east", zone == "south"]
    ).astype(np.float64)
    train = day < max(3, days // 6)
    model = LogisticRegression(max_iter=500).fit(design[train], y[train])
    score = model.predict_proba(design)[:, 1]
    lag_h = rng.lognormal(np.where(y == 1, 3.0, 3.6), 0.7, n)
    labelled = rng.random(n) < 0.8
    label_time = t + (lag_h * 3600).astype("int64") * np.timedelta64(1, "s")
    as_of = t0 + np.timedelta64(days, "D")
    arrived = labelled & (label_time <= as_of)
    source = rng.choice(["desk_a", "desk_b", "vendor"], size=n, p=[0.45, 0.35, 0.2])
    return pa.table(
        {
            "req_id": pa.array([f"r{i:08d}" for i in range(n)]),
            "event_time": pa.array(t, pa.timestamp("us", tz="UTC")),
            "model_ver": pa.array(["lr-1"] * n),
            "p_hat": pa.array(score),
            "decision": pa.array((score >= 0.3).astype(np.int64)),
            "outcome": pa.array(np.where(arrived, y, 0), mask=~arrived),
            "outcome_time": pa.array(label_time, pa.timestamp("us", tz="UTC"), mask=~arrived),
            "serve_ms": pa.array(rng.lognormal(3.2, 0.35, n)),
            "annotator": pa.array(np.where(arrived, source, None)),
            "amount_usd": pa.array(np.round(x1, 2)),
            "signal": pa.array(x2),
            "visits": pa.array(x3),
            "age_days": pa.array(np.round(x4, 1)),
            "tier": pa.array(tier),
            "zone": pa.array(zone),
        }
    )


def handmade_scenario(i: int, seed0: int) -> tuple[pa.Table, dict[str, object], dict[str, str]]:
    """The i-th hand-made scenario: a fresh numpy system with one injected fault."""
    rng = np.random.default_rng([seed0, 77, i])
    cause = ALL[i % len(ALL)]
    days = int(rng.integers(45, 61))
    log = handmade_log(rng, days, int(rng.integers(1500, 3001)))
    segment = None
    if cause == "data_gap" or (cause in SEGMENTABLE and rng.random() < 0.5):
        col = HAND_SEGMENTS[int(rng.integers(len(HAND_SEGMENTS)))]
        vals = sorted(set(log.column(col).to_pylist()))
        segment = f"{col}={vals[int(rng.integers(len(vals)))]}"
    faulted, truth = inject(
        log,
        fault=cause,
        magnitude=round(float(rng.uniform(0.3, 1.0)), 2),
        segment=segment,
        gradual_days=float(rng.choice([0.0, 0.0, 3.0, 7.0])),
        roles=HAND_ROLES,
        seed=seed0 + i,
    )
    return faulted, truth, {"domain": "handmade", "segment": str(segment)}


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
        float(r["t_summarise"]) / float(r["rows"]) * 1e6  # type: ignore[arg-type]
        for r in rows
    ]
    tri = [float(r["t_triage"]) for r in rows]  # type: ignore[arg-type]
    out.append(f"scenarios: {n} ({len(healthy)} healthy)")
    out.append(f"top-1 cause accuracy: {top1:.3f}")
    out.append(f"top-3 cause accuracy: {top3:.3f}")
    out.append(f"false-alarm rate on healthy systems: {fa:.3f}")
    med = statistics.median(errs) if errs else float("nan")
    out.append(f"median onset error (days, correct top-1): {med:.2f}")
    out.append(f"segment match rate (segment-scoped, correct top-1): {seg:.3f} (n={len(seg_rows)})")
    out.append(
        f"feature match rate (first feature, correct top-1): {feat:.3f} (n={len(feat_rows)})"
    )
    out.append(
        f"triage time per scenario (summaries -> findings): median {statistics.median(tri):.2f} s"
    )
    rows_med = statistics.median(float(r["rows"]) for r in rows)  # type: ignore[arg-type]
    out.append(
        f"summarise of these logs (median {rows_med:,.0f} rows, fixed costs included), "
        f"scaled to 1M rows: median {statistics.median(per_m):.1f} s (see the 1M-row line)"
    )
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


def big_log_timing(rows: int) -> str:
    """Wall and CPU time of summarise + triage on one simulated log of about ``rows`` rows."""
    days = 50
    sim = simulate(
        domain="fraud", fault="covariate_drift", days=days, rows_per_day=rows // days, seed=7
    )
    w0, c0 = time.perf_counter(), time.process_time()
    summ = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    w1, c1 = time.perf_counter(), time.process_time()
    run_triage(summ, events=sim.events, as_of=parse_event_time(str(sim.truth["as_of"])))
    w2, c2 = time.perf_counter(), time.process_time()
    return (
        f"one log of {sim.log.num_rows:,} rows: summarise {w1 - w0:.1f} s wall "
        f"({c1 - c0:.1f} s CPU), triage {w2 - w1:.1f} s wall ({c2 - c1:.1f} s CPU), "
        f"total {w2 - w0:.1f} s wall"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--handmade", type=int, default=18, help="hand-made (inject) scenarios")
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument(
        "--first",
        type=int,
        default=0,
        help="start at this scenario (split a run over processes; join with --report-from)",
    )
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--jsonl", type=Path, help="append each graded scenario to this file")
    ap.add_argument("--report-from", type=Path, help="print the tables of a --jsonl file")
    ap.add_argument(
        "--big", type=int, default=1_000_000, help="also time one log of this many rows (0: no)"
    )
    args = ap.parse_args()
    if args.report_from:
        got = [json.loads(line) for line in args.report_from.read_text().splitlines() if line]
        sim_rows = [r for r in got if r.get("domain") != "handmade"]
        hand_rows = [r for r in got if r.get("domain") == "handmade"]
        if sim_rows:
            print(f"== simulated systems: {len(sim_rows)} scenarios graded")
            print(report(sim_rows))
        if hand_rows:
            print("\n== hand-made numpy systems, faults by modelward.simulate.inject")
            print(report(hand_rows))
        return
    if args.jsonl:
        _SINK.append(args.jsonl)
    if args.big:
        print(big_log_timing(args.big), flush=True)
    if args.handmade > 0:
        hand = run_handmade(args.handmade, args.seed0, not args.quiet)
        print(
            "== hand-made numpy systems (own features, LogisticRegression, own column names), "
            "faults by modelward.simulate.inject"
        )
        print(report(hand), flush=True)
        print()
    if args.n > 0:
        res = run(args.n, args.seed0, not args.quiet, args.first)
        print(
            f"== simulated systems (simulate), seeds "
            f"{args.seed0 + args.first}..{args.seed0 + args.n - 1}"
        )
        print(report(res["rows"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
