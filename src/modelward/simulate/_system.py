"""The system generator: traffic, hidden labels, a trained model, latency, label arrival.

:func:`generate_system` returns the healthy log *before* label arrival is cut
at ``as_of`` (every label and its future arrival time are present), so fault
injectors can work on the full truth; :func:`modelward.simulate.simulate`
masks unarrived labels last.

Examples
--------
>>> from datetime import date
>>> s = generate_system(domain=DOMAINS["churn"], days=6, rows_per_day=200, seed=1,
...                     start=date(2026, 1, 1))
>>> s.log.column_names[:5]
['prediction_id', 'timestamp', 'model_version', 'score', 'prediction']
>>> s.reference_days
2
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.linear_model import LogisticRegression

from modelward.simulate._domains import DOMAINS, Cat, Domain, Features
from modelward.simulate._table import DAY_US, HOUR_US, US_TYPE, instant_us, parse_instant

__all__ = ["LinearModel", "System", "decoy_events", "generate_system", "sigmoid"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_DECOYS = (
    ("deploy", "deploy api-gateway {v}: connection pool tuning"),
    ("deploy", "deploy feature-store client {v} (no schema change)"),
    ("config_change", "raise request timeout from 800 ms to 1000 ms"),
    ("config_change", "rotate TLS certificates on the scoring cluster"),
    ("deploy", "deploy dashboard service {v}"),
    ("config_change", "scale scoring replicas from 6 to 8"),
    ("config_change", "enable verbose audit logging"),
)


def sigmoid(z: FloatArray) -> FloatArray:
    """The logistic function, overflow-safe."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)


@dataclass(frozen=True)
class LinearModel:
    """A logistic regression on signed-log, standardised numerics and one-hot categories.

    It reads its features from any table in the contract, so a log broken by a
    schema change can be re-scored exactly as the serving system would.
    """

    numeric: tuple[str, ...]
    log_features: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    mean: FloatArray
    std: FloatArray
    coef: FloatArray
    intercept: float

    def design(self, table: pa.Table, rows: slice | None = None) -> FloatArray:
        """The design matrix of ``table`` (optionally a row slice)."""
        t = table if rows is None else table.slice(rows.start, rows.stop - rows.start)
        cols: list[FloatArray] = []
        for i, name in enumerate(self.numeric):
            x = _float_column(t, name)
            if name in self.log_features:
                x = np.sign(x) * np.log1p(np.abs(x))
            z = (x - self.mean[i]) / self.std[i]
            cols.append(np.where(np.isfinite(z), np.clip(z, -8, 8), 0.0))
        for name, cats in self.categories.items():
            idx = pc.index_in(pc.cast(t.column(name), pa.string()), value_set=pa.array(cats))
            codes = np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False))
            for k in range(1, len(cats)):
                cols.append((codes == k).astype(np.float64))
        return np.column_stack(cols) if cols else np.zeros((t.num_rows, 0))

    def score(self, table: pa.Table, chunk: int = 200_000) -> FloatArray:
        """Positive-class probability of every row of ``table``."""
        out = np.empty(table.num_rows, dtype=np.float64)
        for lo in range(0, table.num_rows, chunk):
            hi = min(lo + chunk, table.num_rows)
            out[lo:hi] = sigmoid(self.design(table, slice(lo, hi)) @ self.coef + self.intercept)
        return out


def _float_column(t: pa.Table, name: str) -> FloatArray:
    col = t.column(name)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        col = pc.cast(col, pa.float64(), safe=False)
    return np.asarray(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _fit_model(
    domain: Domain, table: pa.Table, y: npt.NDArray[np.bool_], train: IntArray, seed: int
) -> LinearModel:
    sample = table.take(pa.array(train))
    numeric = tuple(
        n for n in table.column_names if pa.types.is_floating(table.schema.field(n).type)
    )
    cats = {
        n: tuple(sorted(pc.unique(sample.column(n)).drop_null().to_pylist()))
        for n in table.column_names
        if pa.types.is_string(table.schema.field(n).type)
    }
    raw = LinearModel(
        numeric=numeric,
        log_features=domain.log_features,
        categories=cats,
        mean=np.zeros(len(numeric)),
        std=np.ones(len(numeric)),
        coef=np.zeros(0),
        intercept=0.0,
    )
    x = raw.design(sample)
    k = len(numeric)
    mean, std = x[:, :k].mean(axis=0), x[:, :k].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x[:, :k] = (x[:, :k] - mean) / std
    lr = LogisticRegression(C=1.0, max_iter=300, random_state=seed).fit(x, y[train])
    return LinearModel(
        numeric=numeric,
        log_features=domain.log_features,
        categories=cats,
        mean=mean,
        std=std,
        coef=np.asarray(lr.coef_[0], dtype=np.float64),
        intercept=float(lr.intercept_[0]),
    )


@dataclass(frozen=True)
class System:
    """A generated healthy system.

    Attributes
    ----------
    log
        The full log: every label present, with its (possibly future) arrival time.
    y
        The true class of every row.
    model
        The served model.
    threshold
        The serving threshold (prediction = score >= threshold).
    start_us, as_of_us, reference_end_us
        Start of the first day, end of the last day, end of the reference window.
    reference_days
        Number of reference days.
    events
        Benign decoy events (dicts with timestamp, kind, description).
    """

    log: pa.Table
    y: npt.NDArray[np.bool_]
    model: LinearModel
    threshold: float
    start_us: int
    as_of_us: int
    reference_end_us: int
    reference_days: int
    events: list[dict[str, str]]


def _features_table(x: Features) -> dict[str, pa.Array]:
    out: dict[str, pa.Array] = {}
    for name, v in x.items():
        if isinstance(v, Cat):
            out[name] = pc.take(pa.array(v.categories, type=pa.string()), pa.array(v.codes))
        else:
            out[name] = pa.array(v, type=pa.float64())
    return out


def _calibrated(logit: FloatArray, base_rate: float) -> float:
    head = logit[: min(len(logit), 50_000)]
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if sigmoid(head + mid).mean() > base_rate:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _timestamps(
    domain: Domain, rng: np.random.Generator, days: int, rows_per_day: int, start_us: int
) -> IntArray:
    weekday0 = (start_us // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
    week = np.asarray(domain.weekly_profile) / np.mean(domain.weekly_profile)
    dow = (weekday0 + np.arange(days)) % 7
    counts = np.maximum(
        1, np.round(rows_per_day * week[dow] * np.exp(0.05 * rng.standard_normal(days)))
    ).astype(np.int64)
    day = np.repeat(np.arange(days, dtype=np.int64), counts)
    prof = np.asarray(domain.hour_profile, dtype=np.float64)
    hour = rng.choice(24, size=day.size, p=prof / prof.sum()).astype(np.int64)
    ts = start_us + day * DAY_US + hour * HOUR_US + rng.integers(0, HOUR_US, size=day.size)
    return np.sort((ts // 1000) * 1000)  # millisecond resolution


def _labels(
    domain: Domain, rng: np.random.Generator, y: npt.NDArray[np.bool_]
) -> tuple[FloatArray, npt.NDArray[np.bool_], pa.Array]:
    """Delay in hours, whether the label ever arrives, and its source."""
    n = y.size
    lag = np.empty(n)
    arrives = np.empty(n, dtype=bool)
    names: list[str] = []
    source = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    z = rng.standard_normal(n)
    for cls, plan in ((True, domain.positive_labels), (False, domain.negative_labels)):
        rows = np.flatnonzero(y == cls)
        shares = np.asarray(plan.shares) / np.sum(plan.shares)
        k = np.searchsorted(np.cumsum(shares), rng.random(rows.size), side="right")
        k = np.minimum(k, len(shares) - 1)
        med, sig, mn = (np.asarray(a)[k] for a in (plan.median_hours, plan.sigma, plan.min_hours))
        lag[rows] = mn + med * np.exp(sig * z[rows])
        arrives[rows] = u[rows] < plan.coverage
        offset = len(names)
        for s in plan.sources:
            names.append(s)
        source[rows] = offset + k
    uniq = sorted(set(names))
    remap = np.array([uniq.index(s) for s in names])
    src = pc.take(pa.array(uniq, type=pa.string()), pa.array(remap[source], mask=~arrives))
    return lag, arrives, src


def decoy_events(
    rng: np.random.Generator, *, start_us: int, end_us: int, n: int | None = None
) -> list[dict[str, str]]:
    """Benign deploys and config changes spread over ``[start_us, end_us)``."""
    from modelward.simulate._table import iso_utc, us_to_datetime

    days = max(1, (end_us - start_us) // DAY_US)
    n = n if n is not None else 2 + int(days // 10)
    picks = rng.choice(len(_DECOYS), size=min(n, len(_DECOYS)), replace=False)
    times = np.sort(rng.integers(start_us, max(start_us + 1, end_us), size=picks.size))
    events = []
    for i, (k, t) in enumerate(zip(picks, times, strict=True)):
        kind, text = _DECOYS[int(k)]
        events.append(
            {
                "timestamp": iso_utc(us_to_datetime(int(t))),
                "kind": kind,
                "description": text.format(v=f"v2.{int(rng.integers(3, 40))}.{i}"),
            }
        )
    return events


def generate_system(
    *, domain: Domain | str, days: int, rows_per_day: int, seed: int, start: date
) -> System:
    """Generate a healthy system's full log (labels not yet cut at as_of).

    Parameters
    ----------
    domain
        A :class:`Domain` or its name.
    days
        Number of days of traffic.
    rows_per_day
        Average predictions per day (volume varies by weekday and day to day).
    seed
        Seed of every random draw.
    start
        First day (UTC).
    """
    dom = DOMAINS[domain] if isinstance(domain, str) else domain
    rng = np.random.default_rng(seed)
    start_us = instant_us(parse_instant(start))
    ts = _timestamps(dom, rng, days, rows_per_day, start_us)
    n = ts.size
    x = dom.sample(rng, n)
    logit = dom.logit(x)
    y = rng.random(n) < sigmoid(logit + _calibrated(logit, dom.base_rate))
    feats = _features_table(x)
    feature_table = pa.table(feats)

    ref_days = max(1, days // 3)
    ref_end_us = start_us + ref_days * DAY_US
    n_ref = int(np.searchsorted(ts, ref_end_us))
    train = np.sort(rng.choice(n_ref, size=min(n_ref, 40_000), replace=False)).astype(np.int64)
    if np.unique(y[train]).size < 2:  # tiny reference: fall back to all rows
        train = np.arange(n, dtype=np.int64)
    model = _fit_model(dom, feature_table, y, train, seed)
    score = np.round(model.score(feature_table), 6)
    threshold = float(np.quantile(score[:n_ref], 1.0 - dom.alert_rate))

    hour = (ts % DAY_US) // HOUR_US
    load = np.asarray(dom.hour_profile)[hour] / max(dom.hour_profile)
    latency = (
        dom.latency_median_ms
        * (0.8 + 0.4 * load)
        * np.exp(dom.latency_sigma * rng.standard_normal(n))
    )
    spikes = rng.random(n) < dom.spike_prob
    latency[spikes] *= rng.uniform(5.0, 30.0, int(spikes.sum()))

    lag_h, arrives, source = _labels(dom, rng, y)
    label_ts = ts + np.round(lag_h * HOUR_US / 1000).astype(np.int64) * 1000
    events = decoy_events(rng, start_us=start_us, end_us=start_us + days * DAY_US)
    version = np.full(n, 0, dtype=np.int64)
    deploys = [e for e in events if e["kind"] == "deploy"]
    versions = [f"{dom.name}-2025.12.1"]
    if deploys:  # a serving hotfix: same weights, new version string
        t_dep = instant_us(parse_instant(deploys[0]["timestamp"]))
        version[ts >= t_dep] = 1
        versions.append(f"{dom.name}-2025.12.1-hotfix1")
    ids = pc.binary_join_element_wise(
        f"{dom.name[:3]}-{seed}-",
        pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), width=9, padding="0"),
        "",
    )
    cols: dict[str, pa.Array] = {
        "prediction_id": ids,
        "timestamp": pa.array(ts, type=pa.int64()).cast(US_TYPE),
        "model_version": pc.take(pa.array(versions, type=pa.string()), pa.array(version)),
        "score": pa.array(score),
        "prediction": pa.array((score >= threshold).astype(np.int64)),
        "label": pa.array(y.astype(np.int64), mask=~arrives),
        "label_timestamp": pa.array(label_ts, type=pa.int64(), mask=~arrives).cast(US_TYPE),
        "latency_ms": pa.array(np.round(latency, 2)),
        "label_source": source,
    }
    cols.update(feats)
    return System(
        log=pa.table(cols),
        y=y,
        model=model,
        threshold=threshold,
        start_us=start_us,
        as_of_us=start_us + days * DAY_US,
        reference_end_us=ref_end_us,
        reference_days=ref_days,
        events=events,
    )
