"""Result models of the monitoring analyses: the schema of ``report.json``.

Every analysis returns one of these Pydantic models; a check gathers them in a
:class:`CheckResult`. Renderers (terminal, Markdown, HTML) and the store read
only these models (or their JSON), never the log, so a stored run re-renders
without re-reading anything. Every series a report plots is held here.

Conventions: ``segment == ""`` and ``segment_value == ""`` mean all traffic;
times are UTC; rates are fractions in [0, 1]; ``None`` means "not computable"
(too little data, no labels), never zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from modelward.analyses.estimate import EstimateResult
from modelward.analyses.triggers import TriggerState

__all__ = [
    "CalibrationCurve",
    "CheckResult",
    "CheckSummaryItem",
    "CurvePoints",
    "DayOfWeekVolume",
    "Distribution",
    "DriftCell",
    "DriftResult",
    "FeatureDrift",
    "HealthIssue",
    "HealthResult",
    "Interval",
    "LabelPoint",
    "LatencyPoint",
    "LatencyResult",
    "MetricValue",
    "MultivariatePoint",
    "PerformanceResult",
    "PerformanceWindow",
    "Severity",
    "VolumePoint",
]

Severity = Literal["ok", "info", "warning", "critical"]

REPORT_SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Model):
    """A two-sided confidence interval."""

    low: float | None
    high: float | None
    confidence: float = 0.95
    method: str = ""


# --------------------------------------------------------------------- health


class HealthIssue(_Model):
    """One data-health problem found against the reference."""

    kind: Literal[
        "column_added",
        "column_missing",
        "type_changed",
        "null_rate",
        "out_of_range",
        "unit_jump",
        "sentinel",
        "unseen_categories",
        "volume_drop",
        "volume_spike",
        "segment_missing",
        "label_coverage",
        "label_lag",
    ]
    severity: Severity
    feature: str | None = None
    segment: str = ""
    segment_value: str = ""
    since: datetime | None = None
    message: str
    evidence: dict[str, float | int | str | list[str] | list[float] | None] = Field(
        default_factory=dict
    )


class VolumePoint(_Model):
    """Rows and labelled rows in one bucket and segment."""

    bucket: datetime
    segment: str
    segment_value: str
    n: int
    n_labelled: int


class DayOfWeekVolume(_Model):
    """Mean rows per bucket by day of week, reference vs current."""

    segment: str
    segment_value: str
    day_of_week: int  # 0 = Monday
    reference_mean: float | None
    current_mean: float | None


class LabelPoint(_Model):
    """Label coverage and lag of the rows of one bucket."""

    bucket: datetime
    coverage: float | None
    median_lag_seconds: float | None
    p90_lag_seconds: float | None


class HealthResult(_Model):
    """Schema, values, volume and label health."""

    issues: list[HealthIssue]
    volume: list[VolumePoint]
    day_of_week: list[DayOfWeekVolume]
    labels: list[LabelPoint]


# ---------------------------------------------------------------------- drift


class FeatureDrift(_Model):
    """Drift of one column (feature or score) between reference and current."""

    feature: str
    kind: Literal["numeric", "categorical", "score", "prediction"]
    segment: str = ""
    segment_value: str = ""
    method: str  # the default method chosen for this column
    statistic: float | None  # value of ``method``
    p_value: float | None
    p_adjusted: float | None  # Benjamini-Hochberg across features
    effect: float | None  # effect size compared with the floor (PSI or normalised distance)
    effect_floor: float
    drifted: bool
    psi: float | None = None
    jensen_shannon: float | None = None
    wasserstein: float | None = None  # normalised by the reference spread
    ks: float | None = None
    chi2_p_value: float | None = None
    n_reference: int
    n_current: int


class DriftCell(_Model):
    """Drift of one feature in one bucket (the heat map)."""

    bucket: datetime
    feature: str
    psi: float | None
    drifted: bool


class Distribution(_Model):
    """Reference and current distribution of one column, for drill-down plots."""

    feature: str
    kind: Literal["numeric", "categorical", "score", "prediction"]
    bins: list[str]  # bin labels, e.g. "[1.5, 2.0)" or a category
    reference: list[float]  # proportions
    current: list[float]


class MultivariatePoint(_Model):
    """Multivariate drift of one bucket: domain-classifier AUC on the row samples."""

    bucket: datetime
    auc: float | None
    interval: Interval | None
    n_reference: int
    n_current: int
    drifted: bool


class DriftResult(_Model):
    """Per-feature, prediction and multivariate drift."""

    rule: str  # how the default method and the thresholds were chosen, in words
    alpha: float
    features: list[FeatureDrift]  # all traffic and per segment
    score: list[FeatureDrift]  # score / prediction drift, all traffic and per segment
    heatmap: list[DriftCell]
    distributions: list[Distribution]
    multivariate: list[MultivariatePoint]


# ---------------------------------------------------------------- performance


class MetricValue(_Model):
    """A metric with its interval and the labelled rows behind it."""

    value: float | None
    interval: Interval | None
    n: int


class PerformanceWindow(_Model):
    """Metrics of one window (a bucket, the whole current or reference window) and segment."""

    window: Literal["reference", "current", "bucket"]
    bucket: datetime | None = None
    segment: str = ""
    segment_value: str = ""
    n_rows: int
    n_labelled: int
    confusion: dict[str, int] | None = None  # tp, fp, fn, tn at the serving threshold
    metrics: dict[str, MetricValue]


class CurvePoints(_Model):
    """An x-y curve (ROC: fpr/tpr; PR: recall/precision) with thresholds."""

    x: list[float]
    y: list[float]
    thresholds: list[float]
    area: float | None


class CalibrationCurve(_Model):
    """Mean predicted score vs observed positive rate per score bin."""

    predicted: list[float]
    observed: list[float]
    count: list[int]
    ece: float | None


class PerformanceResult(_Model):
    """Performance on labelled rows, with intervals."""

    task: Literal["binary", "regression"]
    threshold: float | None  # serving threshold (binary)
    reference: PerformanceWindow | None
    current: PerformanceWindow
    by_bucket: list[PerformanceWindow]
    by_segment: list[PerformanceWindow]
    roc: CurvePoints | None = None
    pr: CurvePoints | None = None
    calibration: CalibrationCurve | None = None
    degraded: list[str] = Field(
        default_factory=list
    )  # metrics whose interval excludes the reference


# -------------------------------------------------------------------- latency


class LatencyPoint(_Model):
    """Latency percentiles (ms) of one window or bucket and segment."""

    window: Literal["reference", "current", "bucket"]
    bucket: datetime | None = None
    segment: str = ""
    segment_value: str = ""
    n: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


class LatencyResult(_Model):
    """Latency percentiles, relative error <= ``accuracy``."""

    accuracy: float
    reference: LatencyPoint | None
    current: LatencyPoint
    by_bucket: list[LatencyPoint]
    by_segment: list[LatencyPoint]
    regressed: bool


# ---------------------------------------------------------------------- check


class CheckSummaryItem(_Model):
    """One line of the check's verdict, ordered by severity."""

    severity: Severity
    area: Literal["health", "drift", "performance", "latency", "gate", "triage"]
    message: str


class CheckResult(_Model):
    """Everything one ``modelward check`` found: the content of ``report.json``."""

    schema_version: int = REPORT_SCHEMA_VERSION
    created_at: datetime
    source: str
    reference: str  # e.g. "2026-01-01 .. 2026-01-14" or a reference log
    bucket: str
    n_rows: int
    n_reference_rows: int
    n_current_rows: int
    features: list[str]
    segments: list[str]
    summary: list[CheckSummaryItem]
    health: HealthResult
    drift: DriftResult
    performance: PerformanceResult | None
    latency: LatencyResult | None
    triggers: list[TriggerState] = Field(default_factory=list)  # rollback triggers, firing first
    estimate: EstimateResult | None = None  # performance estimated from scores (CBPE)
