"""Backtest of the confidence calendar's kernel on simulated daily metric series.

Degrading systems: a metric (e.g. recall) with a weekly pattern, autocorrelated
noise (AR(1)) and a gradual linear decline starting at a random day; we cut the
series at a random day after the decline started, forecast the crossing of the
limit, and compare with the true crossing of the noiseless trend. Healthy
systems: the same without decline, level 3-8 noise SDs above the limit; any
"will cross" within the horizon is a false alarm.

Run: .venv/bin/python benchmarks/forecast_backtest.py [--n 400]
"""

from __future__ import annotations

import argparse

import numpy as np

from modelward.stats.forecast import forecast_crossing

HORIZON = 30.0


def series(rng: np.random.Generator, n: int, slope: float, level: float, sd: float) -> np.ndarray:
    week = rng.normal(0, sd, 7)
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.4 * e[i - 1] + rng.normal(0, sd)
    t = np.arange(n)
    return level + slope * t + week[t % 7] + e


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    n = ap.parse_args().n
    rng = np.random.default_rng(0)
    covered, errors, detected, false_alarms, n_soon = 0, [], 0, 0, 0
    limit = 0.6
    for k in range(n):
        sd = rng.uniform(0.005, 0.02)
        onset = int(rng.integers(20, 60))
        slope = -rng.uniform(0.002, 0.01)
        level = 0.8
        true_cross = onset + (limit - level) / slope
        cut = int(rng.integers(onset + 14, int(true_cross)))  # at least two weeks of decline
        t = np.arange(cut, dtype=float)
        trend = np.where(t < onset, level, level + slope * (t - onset))
        y = series(rng, cut, 0.0, 0.0, sd) + trend
        fc = forecast_crossing(t, y, limit=limit, direction="below", horizon=HORIZON,
                               window=28, seed=k, draws=300)  # fmt: skip
        if true_cross - cut <= HORIZON:
            n_soon += 1
            detected += fc.status == "will_cross"
        covered += fc.low <= true_cross <= fc.high
        if np.isfinite(fc.crossing):
            errors.append(abs(fc.crossing - true_cross))
        # healthy twin
        y0 = series(rng, cut, 0.0, limit + rng.uniform(3, 8) * sd * 1.5, sd)
        h = forecast_crossing(t, y0, limit=limit, direction="below", horizon=HORIZON,
                              window=28, seed=k, draws=300)  # fmt: skip
        false_alarms += h.status in ("will_cross", "crossed")
    print(f"degrading systems: {n}; healthy systems: {n}; horizon {HORIZON:g} days; 80% intervals")
    print(f"interval coverage of the true crossing date: {covered / n:.1%}")
    print(f"median absolute error of the expected date: {np.median(errors):.1f} days")
    print(f"false 'will cross' on healthy systems: {false_alarms / n:.1%}")
    print(
        f"'will cross' flagged when the true crossing is within the horizon: "
        f"{detected / max(1, n_soon):.1%} of {n_soon}"
    )


if __name__ == "__main__":
    main()
