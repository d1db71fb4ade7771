"""Check results built by hand for the renderer tests.

``make_result`` builds a realistic fraud-like check: 30 daily buckets (14 of
reference, 16 current), 6 features, 2 segments, ``amount`` drifting from day 20,
recall degrading after day 22 and p99 latency regressing after day 24. Curves
come from simulated binormal scores (scikit-learn), intervals from Wilson.
``minimal_result`` has no labels, no latency and empty lists.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import auc, precision_recall_curve, roc_curve

from modelward.analyses.results import (
    CalibrationCurve,
    CheckResult,
    CheckSummaryItem,
    CurvePoints,
    DayOfWeekVolume,
    Distribution,
    DriftCell,
    DriftResult,
    FeatureDrift,
    HealthIssue,
    HealthResult,
    Interval,
    LabelPoint,
    LatencyPoint,
    LatencyResult,
    MetricValue,
    MultivariatePoint,
    PerformanceResult,
    PerformanceWindow,
    VolumePoint,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
N_DAYS = 30
N_REF = 14
FEATURES = ["amount", "account_age_days", "n_tx_24h", "merchant_category", "country", "device"]
CATEGORICAL = {"merchant_category", "country", "device"}
SEGMENTS = {"country": ["US", "DE", "BR"], "device": ["mobile", "web"]}
DRIFTED = "amount"


def wilson(k: int, n: int) -> Interval:
    """Wilson 95% interval of k successes in n trials."""
    if n == 0:
        return Interval(low=None, high=None, method="wilson")
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(low=centre - half, high=centre + half, method="wilson")


def _metrics(tp: int, fp: int, fn: int, tn: int) -> dict[str, MetricValue]:
    pos, pred = tp + fn, tp + fp
    n = tp + fp + fn + tn
    return {
        "recall": MetricValue(value=tp / pos if pos else None, interval=wilson(tp, pos), n=pos),
        "precision": MetricValue(
            value=tp / pred if pred else None, interval=wilson(tp, pred), n=pred
        ),
        "accuracy": MetricValue(value=(tp + tn) / n, interval=wilson(tp + tn, n), n=n),
    }


def _window(
    rng: np.random.Generator,
    window: str,
    n_rows: int,
    recall: float,
    *,
    bucket: datetime | None = None,
    segment: str = "",
    value: str = "",
) -> PerformanceWindow:
    n_lab = int(rng.binomial(n_rows, 0.8))
    pos = int(rng.binomial(n_lab, 0.05))
    tp = int(rng.binomial(pos, recall))
    fp = int(rng.binomial(n_lab - pos, 0.01))
    confusion = {"tp": tp, "fp": fp, "fn": pos - tp, "tn": n_lab - pos - fp}
    return PerformanceWindow(
        window=window,
        bucket=bucket,
        segment=segment,
        segment_value=value,
        n_rows=n_rows,
        n_labelled=n_lab,
        confusion=confusion,
        metrics=_metrics(**confusion),
    )


def _distribution(rng: np.random.Generator, name: str, kind: str, shift: float) -> Distribution:
    if kind == "categorical":
        bins = {"merchant_category": ["grocery", "travel", "electronics", "fuel", "other"]}.get(
            name, SEGMENTS.get(name, ["a", "b"])
        )
        ref = rng.dirichlet(np.full(len(bins), 20.0))
        cur = rng.dirichlet(ref * 400)
    else:
        edges = np.round(np.linspace(0.0, 1.0, 11) if kind == "score" else np.arange(11.0), 2)
        bins = [f"[{a:g}, {b:g})" for a, b in itertools.pairwise(edges)]
        ref = np.full(10, 0.1)
        cur = np.exp(np.arange(10) * shift)
        cur = rng.dirichlet(cur / cur.sum() * 2000)
    return Distribution(
        feature=name,
        kind=kind,
        bins=list(bins),
        reference=[float(v) for v in ref],
        current=[float(v) for v in cur],
    )


def _curves(rng: np.random.Generator) -> tuple[CurvePoints, CurvePoints, CalibrationCurve]:
    y = rng.random(4000) < 0.05
    logit = rng.normal(np.where(y, 1.2, -3.5), 1.3)
    score = 1.0 / (1.0 + np.exp(-logit))
    fpr, tpr, thr = roc_curve(y, score)
    roc = CurvePoints(
        x=fpr[::8].tolist(),
        y=tpr[::8].tolist(),
        thresholds=np.minimum(thr[::8], 1.0).tolist(),
        area=float(auc(fpr, tpr)),
    )
    prec, rec, thr_pr = precision_recall_curve(y, score)
    pr = CurvePoints(
        x=rec[:-1][::8].tolist(),
        y=prec[:-1][::8].tolist(),
        thresholds=thr_pr[::8].tolist(),
        area=float(auc(rec, prec)),
    )
    edges = np.linspace(0, 1, 11)
    idx = np.clip(np.digitize(score, edges) - 1, 0, 9)
    keep = [b for b in range(10) if np.any(idx == b)]
    predicted = [float(score[idx == b].mean()) for b in keep]
    observed = [float(y[idx == b].mean()) for b in keep]
    count = [int((idx == b).sum()) for b in keep]
    ece = sum(c * abs(p - o) for p, o, c in zip(predicted, observed, count, strict=True)) / len(y)
    return roc, pr, CalibrationCurve(predicted=predicted, observed=observed, count=count, ece=ece)


def make_result(*, seed: int = 7, features: list[str] | None = None) -> CheckResult:
    """A realistic check result; ``features[0]`` is the drifted one."""
    rng = np.random.default_rng(seed)
    names = list(FEATURES if features is None else features)
    drifted = names[0]
    buckets = [T0 + timedelta(days=d) for d in range(N_DAYS)]
    cur_buckets = buckets[N_REF:]

    volume: list[VolumePoint] = []
    labels: list[LabelPoint] = []
    for d, b in enumerate(buckets):
        age = N_DAYS - d
        coverage = float(min(0.95, 1 - math.exp(-age / 3.0)))
        for seg, values in SEGMENTS.items():
            for v in values:
                n = int(rng.poisson(900 if v in ("US", "mobile") else 400))
                if seg == "country" and v == "BR" and d >= 26:
                    n = 0  # a missing segment
                volume.append(
                    VolumePoint(
                        bucket=b,
                        segment=seg,
                        segment_value=v,
                        n=n,
                        n_labelled=int(n * coverage),
                    )
                )
        total = int(rng.poisson(1700))
        volume.append(
            VolumePoint(
                bucket=b, segment="", segment_value="", n=total, n_labelled=int(total * coverage)
            )
        )
        lag = float(rng.lognormal(math.log(36 * 3600), 0.2))
        labels.append(
            LabelPoint(
                bucket=b, coverage=coverage, median_lag_seconds=lag, p90_lag_seconds=lag * 2.5
            )
        )
    dow = [
        DayOfWeekVolume(
            segment="",
            segment_value="",
            day_of_week=k,
            reference_mean=float(1700 + 200 * (k < 5)),
            current_mean=float(1650 + 210 * (k < 5)),
        )
        for k in range(7)
    ]
    issues = [
        HealthIssue(
            kind="null_rate",
            severity="warning",
            feature=names[2],
            since=buckets[21],
            message=f"{names[2]}: null rate 7.9% vs 0.4% in reference",
            evidence={"reference": 0.004, "current": 0.079},
        ),
        HealthIssue(
            kind="segment_missing",
            severity="critical",
            segment="country",
            segment_value="BR",
            since=buckets[26],
            message="country=BR: no rows since 2026-01-27",
            evidence={"last_seen": "2026-01-26"},
        ),
        HealthIssue(
            kind="unseen_categories",
            severity="info",
            feature=names[3],
            message=f"{names[3]}: 2 unseen categories (0.3% of rows)",
            evidence={"values": ["crypto", "gift_cards"]},
        ),
    ]

    feature_rows: list[FeatureDrift] = []
    heatmap: list[DriftCell] = []
    distributions: list[Distribution] = []
    for name in names:
        kind = "categorical" if name in CATEGORICAL else "numeric"
        is_drifted = name == drifted
        psi_value = float(rng.uniform(0.3, 0.5) if is_drifted else rng.uniform(0.002, 0.03))
        p = float(rng.uniform(1e-12, 1e-9) if is_drifted else rng.uniform(0.1, 0.9))
        feature_rows.append(
            FeatureDrift(
                feature=name,
                kind=kind,
                method="psi" if kind == "numeric" else "chi_square",
                statistic=psi_value if kind == "numeric" else float(rng.uniform(1, 20)),
                p_value=p,
                p_adjusted=min(1.0, p * len(names)),
                effect=psi_value,
                effect_floor=0.1,
                drifted=is_drifted,
                psi=psi_value,
                jensen_shannon=psi_value / 8,
                wasserstein=psi_value / 2 if kind == "numeric" else None,
                ks=psi_value / 3 if kind == "numeric" else None,
                chi2_p_value=p if kind == "categorical" else None,
                n_reference=23800,
                n_current=27100,
            )
        )
        if is_drifted:
            feature_rows.append(
                feature_rows[-1].model_copy(
                    update={"segment": "country", "segment_value": "US", "n_current": 14100}
                )
            )
        for d, b in enumerate(cur_buckets):
            onset = is_drifted and d >= 6
            cell = float(rng.uniform(0.25, 0.6) if onset else rng.uniform(0.0, 0.04))
            heatmap.append(
                DriftCell(bucket=b, feature=name, psi=None if d == 3 else cell, drifted=onset)
            )
        distributions.append(_distribution(rng, name, kind, 0.25 if is_drifted else 0.0))
    score_dist = _distribution(rng, "score", "score", 0.05)
    distributions.append(score_dist)
    score_rows = [
        FeatureDrift(
            feature="score",
            kind="score",
            method="psi",
            statistic=0.06,
            p_value=0.003,
            p_adjusted=0.003,
            effect=0.06,
            effect_floor=0.1,
            drifted=False,
            psi=0.06,
            n_reference=23800,
            n_current=27100,
        )
    ]
    multivariate = []
    for d, b in enumerate(cur_buckets):
        a = float(0.5 + (0.12 if d >= 6 else 0.0) + rng.normal(0, 0.01))
        multivariate.append(
            MultivariatePoint(
                bucket=b,
                auc=a,
                interval=Interval(low=a - 0.03, high=a + 0.03, method="delong"),
                n_reference=2000,
                n_current=1000,
                drifted=d >= 6,
            )
        )
    drift = DriftResult(
        rule="numeric: PSI over 10 reference-quantile bins (floor 0.1); categorical: chi-square"
        " with Cramér's V; Benjamini-Hochberg at alpha 0.05",
        alpha=0.05,
        features=feature_rows,
        score=score_rows,
        heatmap=heatmap,
        distributions=distributions,
        multivariate=multivariate,
    )

    roc, pr, calibration = _curves(rng)
    reference = _window(rng, "reference", 23800, 0.82)
    current = _window(rng, "current", 27100, 0.66)
    by_bucket = [
        _window(rng, "bucket", 1700, 0.82 if d < 22 else 0.6, bucket=b)
        for d, b in enumerate(buckets)
    ]
    by_segment = [
        _window(rng, "current", 9000, 0.62 if v == "US" else 0.75, segment=s, value=v)
        for s, vs in SEGMENTS.items()
        for v in vs
    ]
    performance = PerformanceResult(
        task="binary",
        threshold=0.5,
        reference=reference,
        current=current,
        by_bucket=by_bucket,
        by_segment=by_segment,
        roc=roc,
        pr=pr,
        calibration=calibration,
        degraded=["recall"],
    )

    def lat(window: str, p50: float, bucket: datetime | None = None) -> LatencyPoint:
        return LatencyPoint(
            window=window,
            bucket=bucket,
            n=1700,
            p50=p50,
            p95=p50 * 2.8,
            p99=p50 * 4.5,
            max=p50 * 9,
        )

    latency = LatencyResult(
        accuracy=0.01,
        reference=lat("reference", 41.0),
        current=lat("current", 58.0),
        by_bucket=[
            lat("bucket", float(rng.normal(70 if d >= 24 else 41, 2)), b)
            for d, b in enumerate(buckets)
        ],
        by_segment=[],
        regressed=True,
    )
    rec, ref_rec = current.metrics["recall"], reference.metrics["recall"]
    assert rec.value is not None
    assert rec.interval is not None
    assert ref_rec.value is not None
    assert rec.interval.low is not None
    assert rec.interval.high is not None
    assert latency.reference is not None
    assert latency.reference.p99 is not None
    ref_p99 = latency.reference.p99
    summary = [
        CheckSummaryItem(
            severity="ok", area="health", message="schema unchanged; 6 of 6 columns present"
        ),
        CheckSummaryItem(
            severity="warning",
            area="drift",
            message=f"{drifted} drifted: PSI 0.41 (floor 0.1) since 2026-01-21",
        ),
        CheckSummaryItem(
            severity="critical",
            area="performance",
            message=f"recall {rec.value:.2f} [{rec.interval.low:.2f}, {rec.interval.high:.2f}]"
            f" vs {ref_rec.value:.2f} in reference",
        ),
        CheckSummaryItem(
            severity="warning",
            area="latency",
            message=f"p99 {latency.current.p99:.0f} ms vs {ref_p99:.0f} ms in reference",
        ),
        CheckSummaryItem(severity="info", area="health", message="label coverage 61% (lag 1.5 d)"),
    ]
    return CheckResult(
        created_at=datetime(2026, 1, 31, 6, 0, tzinfo=UTC),
        source="s3://fraud-logs/predictions/*.parquet",
        reference="2026-01-01 .. 2026-01-14",
        bucket="day",
        n_rows=sum(v.n for v in volume if v.segment == ""),
        n_reference_rows=23800,
        n_current_rows=27100,
        features=names,
        segments=list(SEGMENTS),
        summary=summary,
        health=HealthResult(issues=issues, volume=volume, day_of_week=dow, labels=labels),
        drift=drift,
        performance=performance,
        latency=latency,
    )


def make_minimal() -> CheckResult:
    """No labels, no latency, no findings, every list empty."""
    return CheckResult(
        created_at=datetime(2026, 1, 31, tzinfo=UTC),
        source="log.csv",
        reference="2026-01-01 .. 2026-01-14",
        bucket="day",
        n_rows=0,
        n_reference_rows=0,
        n_current_rows=0,
        features=[],
        segments=[],
        summary=[],
        health=HealthResult(issues=[], volume=[], day_of_week=[], labels=[]),
        drift=DriftResult(
            rule="",
            alpha=0.05,
            features=[],
            score=[],
            heatmap=[],
            distributions=[],
            multivariate=[],
        ),
        performance=None,
        latency=None,
    )


HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def result() -> CheckResult:
    return make_result()


@pytest.fixture
def minimal() -> CheckResult:
    return make_minimal()


@pytest.fixture
def hostile() -> CheckResult:
    """A result whose drifted feature is named like a script injection."""
    return make_result(features=[HOSTILE, "n_tx_24h", "a|b", "merchant_category", "c&d", "device"])
