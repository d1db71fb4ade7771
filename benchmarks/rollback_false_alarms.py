"""False rollback triggers on healthy simulated systems over 60 days, across seeds.

Two policies on the simulator's fraud system (no fault): limits set with a 10 %
margin from the reference window's values (as a team would), and limits set
exactly at the reference values (the worst case: the true metric sits on the
limit, so every window is a coin flip at the per-window level). Prints the share
of seeds with at least one false trigger for each.

    .venv/bin/python benchmarks/rollback_false_alarms.py --seeds 40
"""

from __future__ import annotations

import argparse
import time

from modelward.analyses.metrics import metric_value
from modelward.analyses.policy import parse_policy
from modelward.analyses.triggers import evaluate_triggers
from modelward.engine import get_engine
from modelward.io import read_log
from modelward.simulate import simulate


def _policy(p99: float, auc: float, margin: float) -> str:
    return (
        "triggers: {k: 3, horizon: 365}\nconstraints:\n"
        f"  - metric: latency_p99\n    max: {p99 * (1 + margin):.4f}\n"
        f"  - metric: roc_auc\n    min: {auc * (1 - margin):.4f}\n    min_samples: 200\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--rows-per-day", type=int, default=1000)
    args = ap.parse_args()
    fired = {0.1: 0, 0.0: 0}
    t0 = time.perf_counter()
    for seed in range(args.seeds):
        sim = simulate(domain="fraud", fault="none", days=74, rows_per_day=args.rows_per_day,
                       seed=seed)  # fmt: skip
        summ = get_engine().summarise(read_log(sim.log, segments=[]), reference_end="2026-01-14")
        p99 = metric_value(summ, "latency_p99", window="reference").value
        auc = metric_value(summ, "roc_auc", window="reference").value
        for margin in fired:
            states = evaluate_triggers(summ, parse_policy(_policy(p99, auc, margin)))
            fired[margin] += any(s.status == "firing" or s.cleared_at for s in states)
    dt = time.perf_counter() - t0
    for margin, n in fired.items():
        print(
            f"limits at reference {'-+'[margin > 0]}{margin:.0%}: false-trigger rate "
            f"{n}/{args.seeds} = {n / args.seeds:.3f} (60 live days, k=3)"
        )
    print(f"{args.seeds} seeds in {dt:.0f} s")


if __name__ == "__main__":
    main()
