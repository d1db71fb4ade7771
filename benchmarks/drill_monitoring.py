"""Does modelward's suggested monitoring catch each drill incident?

For every cause and drill seed, the constraints :func:`suggested_monitoring`
gives for the incident's truth run on the incident's own log as rollback
triggers (k = 3 daily windows; caught = first firing within 7 days of the
onset, as the drills grade a learner's monitoring). Each line prints how the
first constraint to fire behaved: caught, late, silent or a false alarm.

Run: ``.venv/bin/python benchmarks/drill_monitoring.py [--causes prior_shift] [--seeds 0 1 2]``
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime

from modelward.drills.catalogue import CAUSES
from modelward.drills.coverage import evaluate_constraints, suggested_monitoring
from modelward.drills.scenario import scenario_from_seed
from modelward.drills.session import prepare

ORDER = ("caught", "late", "silent", "false_alarm")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--causes", nargs="*", default=[c for c in CAUSES if c != "none"])
    ap.add_argument("--seeds", nargs="*", type=int, default=list(range(8)))
    args = ap.parse_args()
    tally: Counter[tuple[str, str]] = Counter()
    for cause in args.causes:
        for seed in args.seeds:
            drill = prepare(scenario_from_seed(seed, cause=cause))
            t = drill.truth
            cons = suggested_monitoring(
                drill.summaries, cause=t["cause"], segment=t["segment"], features=t["features"]
            )
            # naive UTC, as the drills' own grading passes it
            onset = datetime.fromisoformat(str(t["onset"]).replace("Z", ""))
            firings = evaluate_constraints(
                drill.summaries, cons, onset=onset, seed=drill.scenario.seed
            )
            best = min(firings, key=lambda f: ORDER.index(f.verdict))
            tally[(cause, best.verdict)] += 1
            print(
                f"{cause:18s} seed {seed:2d}  {best.verdict:11s} "
                + "; ".join(f"{f.constraint}: {f.verdict}" for f in firings),
                flush=True,
            )
    print()
    for cause in args.causes:
        print(f"{cause:18s} " + ", ".join(f"{v} {tally[(cause, v)]}" for v in ORDER))


if __name__ == "__main__":
    main()
