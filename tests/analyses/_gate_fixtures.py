"""Known-truth logs for the gate, cost and trigger tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

COUNTRIES = ("US", "BR", "DE")


def make_log(
    *,
    n: int,
    days: int = 10,
    seed: int = 0,
    recall_drop: dict[str, float] | None = None,
    latency_scale: float = 1.0,
    start_day: int = 0,
    bad_from_day: int = 0,
    prefix: str = "r",
) -> pa.Table:
    """Binary log: prevalence 0.3, scores separate classes; ``recall_drop`` per country."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, days, n)
    country = rng.choice(np.array(COUNTRIES), n)
    y = (rng.random(n) < 0.3).astype(int)
    score = np.clip(np.where(y == 1, rng.beta(5, 2, n), rng.beta(2, 5, n)), 0, 1)
    pred = (score >= 0.5).astype(int)
    for c, drop in (recall_drop or {}).items():
        hit = (country == c) & (y == 1) & (pred == 1) & (day >= bad_from_day)
        flip = hit & (rng.random(n) < drop)
        pred = np.where(flip, 0, pred)
        score = np.where(flip, score * 0.4, score)
    ts = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=int(start_day + d),
          seconds=int(s)) for d, s in zip(day, rng.integers(0, 86000, n), strict=True)]  # fmt: skip
    return pa.table({
        "prediction_id": [f"{prefix}{i}" for i in range(n)],
        "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "score": score, "prediction": pred, "label": y,
        "latency_ms": rng.lognormal(3.5, 0.3, n) * latency_scale,
        "country": country,
    })  # fmt: skip
