"""Backtest of the confidence calendar's kernel on simulated daily metric series.

Degrading systems: a metric with a weekly pattern, AR(1) noise and a gradual
decline starting at a random day; the series is cut at a random day at least
two weeks after the onset (and before the true crossing), the crossing of the
limit is forecast and compared with the true crossing of the noiseless trend.
Healthy systems: the same without decline, the level 4.5-12 noise SDs above the
limit; any "will cross" (or "crossed") is a false alarm.

Two disjoint sets of scenarios:

* TUNING (seeds from 10,000): the family the previous kernel's constants were
  chosen on (the current broken-line kernel has no tuned constant): a metric
  falling from 0.8 to a floor of 0.6, slope 0.002-0.01/day, noise SD
  0.005-0.02, AR(1) phi 0.4, fitting window 28 or 56 days.
* HELD-OUT (seeds from 900,000; never used to choose anything): other
  levels (0.75-0.95, limit 0.2 below), slopes 0.0015-0.012/day, noise SD
  0.004-0.025, phi 0.2-0.7, floors *and* ceilings (``direction="above"``),
  metrics on a scale 500x larger (latency-like), windows 21/28/42/56, and a
  decline that accelerates or slows down by up to 20% over four months.

Run: ``.venv/bin/python benchmarks/forecast_backtest.py [--n 400] [--set both]``
"""

from __future__ import annotations

import argparse
from typing import Literal

import numpy as np

from modelward.stats.forecast import forecast_crossing

HORIZON = 30.0
TUNING_SEED, HELDOUT_SEED = 10_000, 900_000


def _noise(rng: np.random.Generator, n: int, sd: float, phi: float) -> np.ndarray:
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, sd)
    return e


def scenario(rng: np.random.Generator, held_out: bool) -> dict[str, float]:
    """Parameters of one simulated system."""
    if not held_out:
        return {
            "sd": rng.uniform(0.005, 0.02), "phi": 0.4, "slope": -rng.uniform(0.002, 0.01),
            "level": 0.8, "gap": 0.2, "sign": 1.0, "scale": 1.0, "curv": 0.0,
            "window": float(rng.choice([28, 56])),
        }  # fmt: skip
    return {
        "sd": rng.uniform(0.004, 0.025), "phi": rng.uniform(0.2, 0.7),
        "slope": -rng.uniform(0.0015, 0.012), "level": rng.uniform(0.75, 0.95), "gap": 0.2,
        "sign": float(rng.choice([1.0, -1.0])), "scale": float(rng.choice([1.0, 500.0])),
        "curv": rng.uniform(-0.2, 0.2), "window": float(rng.choice([21, 28, 42, 56])),
    }  # fmt: skip


def run(n: int, which: Literal["tuning", "held-out"], draws: int = 300) -> dict[str, float]:
    """Coverage, median error, false alarms and detection on ``n`` systems of a set."""
    held = which == "held-out"
    covered, errors, false_alarms, detected, n_soon = 0, [], 0, 0, 0
    early, late = 0, 0  # the truth before the interval / after it
    for k in range(n):
        rng = np.random.default_rng((HELDOUT_SEED if held else TUNING_SEED) + k)
        p = scenario(rng, held)
        onset = int(rng.integers(20, 60))
        limit = p["level"] - p["gap"]

        def trend(t: np.ndarray, p: dict[str, float] = p, onset: int = onset) -> np.ndarray:
            d = np.maximum(t - onset, 0.0)
            out: np.ndarray = p["level"] + p["slope"] * d * (1.0 + p["curv"] * d / 120.0)
            return out

        grid = np.arange(0.0, 600.0)
        below = np.flatnonzero(trend(grid) < limit)
        i = int(below[0])
        t0, t1 = trend(grid[i - 1 : i + 1])
        true_cross = i - 1 + (t0 - limit) / (t0 - t1)
        cut = int(rng.integers(onset + 14, max(onset + 15, int(true_cross))))
        t = np.arange(cut, dtype=float)
        week = rng.normal(0, p["sd"], 7)
        y = trend(t) + week[t.astype(int) % 7] + _noise(rng, cut, p["sd"], p["phi"])
        healthy = (
            limit
            + rng.uniform(3, 8) * p["sd"] * 1.5
            + week[t.astype(int) % 7]
            + _noise(rng, cut, p["sd"], p["phi"])
        )
        f = p["sign"] * p["scale"]  # a ceiling is the mirror image of a floor
        direction: Literal["below", "above"] = "below" if p["sign"] > 0 else "above"
        kw = {"limit": f * limit, "direction": direction, "horizon": HORIZON,
              "window": int(p["window"]), "seed": k, "draws": draws}  # fmt: skip
        fc = forecast_crossing(t, f * y, **kw)  # type: ignore[arg-type]
        if true_cross - cut <= HORIZON:
            n_soon += 1
            detected += fc.status == "will_cross"
        covered += fc.low <= true_cross <= fc.high
        early += true_cross < fc.low
        late += true_cross > fc.high
        if np.isfinite(fc.crossing):
            errors.append(abs(fc.crossing - true_cross))
        h = forecast_crossing(t, f * healthy, **kw)  # type: ignore[arg-type]
        false_alarms += h.status in ("will_cross", "crossed")
    return {
        "coverage": covered / n,
        "early": early / n,
        "late": late / n,
        "median_error": float(np.median(errors)),
        "false_alarms": false_alarms / n,
        "detected": detected / max(1, n_soon),
        "n_soon": n_soon,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--set", choices=["tuning", "held-out", "both"], default="both")
    args = ap.parse_args()
    sets: list[Literal["tuning", "held-out"]] = (
        ["tuning", "held-out"] if args.set == "both" else [args.set]
    )
    print(f"{args.n} degrading + {args.n} healthy systems per set; horizon {HORIZON:g} days; "
          "80% intervals")  # fmt: skip
    for which in sets:
        r = run(args.n, which)
        print(
            f"{which:>8}: coverage {r['coverage']:.1%} (truth before it {r['early']:.1%}, "
            f"after it {r['late']:.1%})  median error {r['median_error']:.1f} d  "
            f"false 'will cross' on healthy {r['false_alarms']:.1%}  "
            f"'will cross' when due within the horizon {r['detected']:.1%} of {r['n_soon']}"
        )


if __name__ == "__main__":
    main()
