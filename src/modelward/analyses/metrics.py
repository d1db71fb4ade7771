"""One named metric with its confidence interval, from a slice of the summaries.

Gates, rollback triggers and cost evaluation all need the same thing: the
value of a metric on one window, segment and bucket range, with an interval
and the number of rows behind it. :func:`metric_value` gives exactly that and
nothing more, from the summaries only (no rows).

Metric names (:func:`parse_metric` validates them):

========================  ==============================================  =================
name                      meaning                                         interval
========================  ==============================================  =================
precision, recall,        at the serving threshold (served ``prediction``  Wilson
accuracy, fpr, fnr,       column, exact counts)
positive_rate,
predicted_positive_rate
f1                        at the serving threshold                        bootstrap of counts
roc_auc                   from the score grid (binned, error bound in     DeLong
                          ``stats.auc_binned_error_bound``)
pr_auc                    average precision from the score grid           bootstrap of counts
log_loss, brier           exact means (``volume``)                        t, grid variance
mae, rmse, bias           regression, exact                               t / chi-square
expected_cost             cost per 1,000 labelled decisions at the        MOVER over Wilson
                          serving threshold (needs a :class:`CostModel`)
latency_pNN               e.g. ``latency_p99``: the NN-th percentile (ms) order statistics
                          of ``latency_ms`` from the log bins
psi:FEATURE, js:FEATURE   PSI / Jensen-Shannon of FEATURE (or ``score``,  basic bootstrap of
                          on the reference's deciles) against the         both windows'
                          reference window, small-sample bias removed     counts
label_coverage            labelled rows / rows (low for recent windows    Wilson
                          whose labels are not due yet)
label_coverage_vs_        labelled rows / rows expected labelled by       Wilson / expected,
expected                  ``as_of`` at their age (reference lags by       widened by the
                          class; ~1.0 when healthy, at any age)           reference's error
label_lag_pNN             e.g. ``label_lag_p50``: NN-th percentile of     order statistics
                          label lag (s); recent windows read low (their
                          long lags are still on their way): use ``max``
volume                    rows per bucket (mean over the window)          Poisson (Garwood)
========================  ==============================================  =================

Expected cost: with costs ``c_fp``, ``c_fn`` and a value ``v_tp`` of a true
positive, cost per decision is ``c_fp FP/n + c_fn FN/n - v_tp TP/n``. Its
interval combines the Wilson intervals of the three proportions by MOVER
(Zou & Donner 2008), which never collapses to a point when a count is 0, so a
tiny sample cannot give a spuriously narrow interval. With costs per segment
(``CostModel.segment``) the all-traffic cost is the sum over the segment's
values, each with its own costs.

Latency percentile: the ``q``-quantile's distribution-free interval is
between the order statistics of ranks ``binom.ppf(a/2, n, q)`` and
``binom.ppf(1 - a/2, n, q) + 1``, read from the log bins (each within
relative error ``meta.latency_accuracy``).

Examples
--------
>>> parse_metric("latency_p99")
('latency', 0.99)
>>> parse_metric("psi:amount")
('psi', 'amount')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats as sps

from modelward._exceptions import ConfigError
from modelward.analyses._frame import bucket_width
from modelward.engine.summaries import Summaries
from modelward.stats import (
    auc_interval,
    average_precision_binned,
    bootstrap_counts,
    jensen_shannon,
    log_bin_value,
    mean_interval,
    psi,
    quantiles_from_log_bins,
    roc_auc_binned,
    wilson_interval,
)

__all__ = [
    "BINARY_METRICS",
    "COUNT_METRICS",
    "LOWER_IS_BETTER",
    "REGRESSION_METRICS",
    "CostModel",
    "CostSpec",
    "MetricEstimate",
    "ScoreSlice",
    "expected_labels",
    "metric_value",
    "parse_metric",
    "score_slice",
]

FloatArray = npt.NDArray[np.float64]

#: Proportions at the serving threshold: name -> (numerator cells, denominator cells).
COUNT_METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "precision": (("tp",), ("tp", "fp")),
    "recall": (("tp",), ("tp", "fn")),
    "accuracy": (("tp", "tn"), ("tp", "fp", "fn", "tn")),
    "fpr": (("fp",), ("fp", "tn")),
    "fnr": (("fn",), ("tp", "fn")),
    "positive_rate": (("tp", "fn"), ("tp", "fp", "fn", "tn")),
}
#: Metrics of a binary task with a score.
BINARY_METRICS = (
    *COUNT_METRICS,
    "predicted_positive_rate",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "expected_cost",
)
#: Metrics of a regression task.
REGRESSION_METRICS = ("mae", "rmse", "bias")
#: Metrics where lower is better (used for wording only; limits say their own side).
LOWER_IS_BETTER = frozenset(
    {
        "fpr",
        "fnr",
        "log_loss",
        "brier",
        "expected_cost",
        "mae",
        "rmse",
        "latency",
        "label_lag",
        "psi",
        "js",
    }
)
_OTHER = ("label_coverage", "label_coverage_vs_expected", "volume")
_LATENCY = re.compile(r"^latency_p(\d{1,2}(?:\.\d+)?)$")
_LABEL_LAG = re.compile(r"^label_lag_p(\d{1,2}(?:\.\d+)?)$")
_DRIFT = re.compile(r"^(psi|js):(.+)$")
#: Bins (reference quantiles) of ``psi:score`` and ``js:score``.
SCORE_DRIFT_BINS = 10
#: Bootstrap draws for f1, pr_auc and drift intervals.
N_BOOT = 300


class CostSpec(BaseModel):
    """Cost of a false positive and a false negative, and the value of a true positive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fp: float = Field(ge=0, description="Cost of one false positive.")
    fn: float = Field(ge=0, description="Cost of one false negative (a miss).")
    tp: float = Field(default=0.0, ge=0, description="Value (saving) of one true positive.")


class CostOverride(BaseModel):
    """Per-segment changes to the costs; unset fields keep the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fp: float | None = Field(default=None, ge=0)
    fn: float | None = Field(default=None, ge=0)
    tp: float | None = Field(default=None, ge=0)


class CostModel(CostSpec):
    """Costs, optionally per value of one segment column.

    Examples
    --------
    >>> m = CostModel(fp=5, fn=120, segment="country", by_segment={"BR": {"fn": 300}})
    >>> m.for_value("BR").fn, m.for_value("US").fn
    (300.0, 120.0)
    """

    segment: str | None = None
    by_segment: dict[str, CostOverride] = Field(default_factory=dict)

    def for_value(self, value: str | None) -> CostSpec:
        """The costs of one value of :attr:`segment` (the defaults if not overridden)."""
        over = self.by_segment.get(value) if value is not None else None
        if over is None:
            return CostSpec(fp=self.fp, fn=self.fn, tp=self.tp)
        return CostSpec(
            fp=self.fp if over.fp is None else over.fp,
            fn=self.fn if over.fn is None else over.fn,
            tp=self.tp if over.tp is None else over.tp,
        )


@dataclass(frozen=True)
class MetricEstimate:
    """A metric's value, its interval at ``confidence``, and the rows behind it."""

    value: float
    low: float
    high: float
    n: int
    method: str = ""

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Unpack as ``value, low, high, n``."""
        return iter((self.value, self.low, self.high, self.n))


_NAN = MetricEstimate(math.nan, math.nan, math.nan, 0, "no data")


def parse_metric(metric: str) -> tuple[str, float | str | None]:
    """Split a metric name into (kind, argument); raise ``ConfigError`` on an unknown one.

    Examples
    --------
    >>> parse_metric("recall"), parse_metric("js:score")
    (('recall', None), ('js', 'score'))
    """
    if metric in BINARY_METRICS or metric in REGRESSION_METRICS or metric in _OTHER:
        return metric, None
    m = _LATENCY.match(metric)
    if m:
        q = float(m.group(1)) / 100
        if 0 < q < 1:
            return "latency", q
    lag = _LABEL_LAG.match(metric)
    if lag:
        q = float(lag.group(1)) / 100
        if 0 < q < 1:
            return "label_lag", q
    d = _DRIFT.match(metric)
    if d:
        return d.group(1), d.group(2)
    known = ", ".join((*BINARY_METRICS, *REGRESSION_METRICS, *_OTHER))
    raise ConfigError(
        f"Unknown metric {metric!r}. Metrics: {known}, latency_pNN (e.g. latency_p99), "
        "label_lag_pNN (e.g. label_lag_p50), psi:FEATURE, js:FEATURE (FEATURE may be 'score')."
    )


# ------------------------------------------------------------------ slicing


def _f64(tab: pa.Table, name: str) -> FloatArray:
    return np.nan_to_num(np.asarray(tab[name].to_numpy(zero_copy_only=False), np.float64))


def _slice(
    summaries: Summaries,
    *,
    window: str,
    segment: tuple[str, str],
    buckets: tuple[datetime | None, datetime | None] | None,
) -> Summaries:
    col, val = segment
    return summaries.filter(window=window, segment=(col, val), buckets=buckets)


@dataclass(frozen=True)
class ScoreSlice:
    """Labelled positives / negatives per score bin, and those served as positive."""

    pos: FloatArray
    neg: FloatArray
    tp_bin: FloatArray
    fp_bin: FloatArray

    @property
    def confusion(self) -> dict[str, float]:
        """``tp, fp, fn, tn`` at the serving threshold."""
        tp, fp = float(self.tp_bin.sum()), float(self.fp_bin.sum())
        return {
            "tp": tp,
            "fp": fp,
            "fn": float(self.pos.sum()) - tp,
            "tn": float(self.neg.sum()) - fp,
        }


def score_slice(summaries: Summaries) -> ScoreSlice:
    """Sum the ``score`` table of (already filtered) summaries into per-bin arrays."""
    bins = summaries.meta.score_bins
    tab = summaries.table("score")
    z = np.zeros(bins)
    if tab.num_rows == 0:
        return ScoreSlice(z, z.copy(), z.copy(), z.copy())
    sb = np.clip(np.asarray(tab["score_bin"].to_numpy(zero_copy_only=False), np.int64), 0, bins - 1)
    lab = np.asarray(tab["label"].to_numpy(zero_copy_only=False), np.int64)
    pred = np.asarray(tab["prediction"].to_numpy(zero_copy_only=False), np.int64)
    cnt = _f64(tab, "count")

    def bc(w: FloatArray) -> FloatArray:
        return np.bincount(sb, weights=w, minlength=bins).astype(np.float64)

    return ScoreSlice(
        pos=bc(cnt * (lab == 1)),
        neg=bc(cnt * (lab == 0)),
        tp_bin=bc(cnt * ((lab == 1) & (pred == 1))),
        fp_bin=bc(cnt * ((lab == 0) & (pred == 1))),
    )


def _volume(summaries: Summaries) -> dict[str, float]:
    vol = summaries.table("volume")
    out: dict[str, float] = {}
    for name in (
        "n",
        "n_labelled",
        "n_predicted_positive",
        "logloss_sum",
        "brier_sum",
        "abs_err_sum",
        "sq_err_sum",
        "err_sum",
    ):
        out[name] = float(_f64(vol, name).sum()) if name in vol.column_names else 0.0
    out["buckets"] = float(len(pc.unique(vol["bucket"]))) if vol.num_rows else 0.0
    return out


# ------------------------------------------------------------------ metrics


def _prop(k: float, n: float, confidence: float) -> MetricEstimate:
    if n <= 0:
        return _NAN
    lo, hi = wilson_interval(k, n, confidence=confidence)
    return MetricEstimate(k / n, lo, hi, round(n), "wilson")


def mover_sum(terms: list[tuple[float, float, float, float]]) -> tuple[float, float, float]:
    """Sum of ``w * p`` with independent-interval ``(w, p, lo, hi)`` terms, by MOVER.

    Examples
    --------
    >>> [round(v, 3) for v in mover_sum([(1.0, 0.5, 0.4, 0.6), (-1.0, 0.2, 0.1, 0.3)])]
    [0.3, 0.159, 0.441]
    """
    total = sum(w * p for w, p, _, _ in terms)
    down = up = 0.0
    for w, p, lo, hi in terms:
        a, b = (w * (p - lo), w * (hi - p)) if w >= 0 else (-w * (hi - p), -w * (p - lo))
        down += a * a
        up += b * b
    return total, total - math.sqrt(down), total + math.sqrt(up)


def _cost_terms(
    conf: dict[str, float], n_total: float, spec: CostSpec, confidence: float
) -> list[tuple[float, float, float, float]]:
    terms = []
    for cell, w in (("fp", spec.fp), ("fn", spec.fn), ("tp", -spec.tp)):
        if w == 0 or n_total <= 0:
            continue
        k = conf[cell]
        lo, hi = wilson_interval(k, n_total, confidence=confidence)
        terms.append((1000.0 * w, k / n_total, lo, hi))
    return terms


def _expected_cost(
    summaries: Summaries,
    *,
    window: str,
    segment: tuple[str, str],
    buckets: tuple[datetime | None, datetime | None] | None,
    costs: CostModel | None,
    confidence: float,
) -> MetricEstimate:
    if costs is None:
        raise ConfigError("The metric 'expected_cost' needs a cost model (fp and fn costs).")
    col, val = segment
    if costs.segment and col == "" and costs.by_segment:
        parts = summaries.filter(window=window, segment=costs.segment, buckets=buckets)
        values = sorted({str(v) for v in parts.table("score")["segment_value"].to_pylist()})
        confs = []
        for name in values:
            s = score_slice(parts.filter(segment=(costs.segment, name)))
            confs.append((s.confusion, costs.for_value(name)))
        n_total = sum(c["tp"] + c["fp"] + c["fn"] + c["tn"] for c, _ in confs)
        terms = [t for c, spec in confs for t in _cost_terms(c, n_total, spec, confidence)]
        method = f"MOVER over Wilson, costs per {costs.segment}"
    else:
        spec = costs.for_value(val if col and col == costs.segment else None)
        c = score_slice(_slice(summaries, window=window, segment=segment, buckets=buckets))
        n_total = sum(c.confusion.values())
        terms = _cost_terms(c.confusion, n_total, spec, confidence)
        method = "MOVER over Wilson"
    if n_total <= 0:
        return _NAN
    if not terms:
        return MetricEstimate(0.0, 0.0, 0.0, round(n_total), method)
    v, lo, hi = mover_sum(terms)
    return MetricEstimate(v, lo, hi, round(n_total), method)


def _f1_stat(c: FloatArray) -> FloatArray:
    tp, fn, fp = c[..., 0], c[..., 1], c[..., 2]
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), np.nan)


def _binary(
    name: str, s: ScoreSlice, vol: dict[str, float], confidence: float, seed: int
) -> MetricEstimate:
    c = s.confusion
    n_lab = c["tp"] + c["fp"] + c["fn"] + c["tn"]
    if name in COUNT_METRICS:
        num, den = COUNT_METRICS[name]
        return _prop(sum(c[k] for k in num), sum(c[k] for k in den), confidence)
    if name == "predicted_positive_rate":
        return _prop(vol["n_predicted_positive"], vol["n"], confidence)
    if n_lab <= 0:
        return _NAN
    if name == "f1":
        cells = np.array([c["tp"], c["fn"], c["fp"], c["tn"]])
        if 2 * c["tp"] + c["fp"] + c["fn"] <= 0:
            return _NAN
        value = float(_f1_stat(cells))
        b = bootstrap_counts(
            cells, _f1_stat, n_boot=N_BOOT, seed=seed, confidence=confidence, vectorised=True
        )
        return MetricEstimate(value, b.low, b.high, round(n_lab), "bootstrap")
    p_n, n_n = float(s.pos.sum()), float(s.neg.sum())
    if name == "roc_auc":
        if p_n < 2 or n_n < 2:
            return _NAN
        lo, hi = auc_interval(s.pos, s.neg, confidence=confidence)
        return MetricEstimate(roc_auc_binned(s.pos, s.neg), lo, hi, round(n_lab), "delong")
    if name == "pr_auc":
        if p_n < 1:
            return _NAN
        keep = (s.pos + s.neg) > 0
        table = np.vstack([s.pos[keep], s.neg[keep]])
        b = bootstrap_counts(
            table,
            lambda t: average_precision_binned(t[0], t[1]) if t[0].sum() > 0 else math.nan,
            n_boot=N_BOOT,
            seed=seed,
            confidence=confidence,
        )
        return MetricEstimate(
            average_precision_binned(s.pos, s.neg), b.low, b.high, round(n_lab), "bootstrap"
        )
    # log_loss / brier: exact mean, variance from the grid's bin midpoints
    mid = np.clip((np.arange(s.pos.size) + 0.5) / s.pos.size, 1e-15, 1 - 1e-15)
    if name == "log_loss":
        lp, ln, total = -np.log(mid), -np.log1p(-mid), vol["logloss_sum"]
    else:
        lp, ln, total = (1 - mid) ** 2, mid**2, vol["brier_sum"]
    n = vol["n_labelled"]
    if n < 2:
        return _NAN
    sum_sq = float((s.pos * lp**2).sum() + (s.neg * ln**2).sum())
    grid_sum = float((s.pos * lp).sum() + (s.neg * ln).sum())
    lo, hi = mean_interval(n, grid_sum, sum_sq, confidence=confidence)
    shift = (total - grid_sum) / n
    return MetricEstimate(total / n, lo + shift, hi + shift, round(n), "t (grid variance)")


def _regression(name: str, vol: dict[str, float], confidence: float) -> MetricEstimate:
    n = vol["n_labelled"]
    if n < 2:
        return _NAN
    if name == "rmse":
        a = 1 - confidence
        sq = vol["sq_err_sum"]
        lo = math.sqrt(sq / float(sps.chi2.ppf(1 - a / 2, n)))
        hi = math.sqrt(sq / float(sps.chi2.ppf(a / 2, n)))
        return MetricEstimate(math.sqrt(sq / n), lo, hi, round(n), "chi2")
    total = vol["abs_err_sum"] if name == "mae" else vol["err_sum"]
    lo, hi = mean_interval(n, total, vol["sq_err_sum"], confidence=confidence)
    return MetricEstimate(total / n, lo, hi, round(n), "t")


def latency_quantile(
    bins: npt.ArrayLike, counts: npt.ArrayLike, q: float, *, accuracy: float, confidence: float
) -> MetricEstimate:
    """The ``q``-quantile of log-binned latencies with its order-statistic interval.

    Examples
    --------
    >>> from modelward.stats import log_bin_index
    >>> x = np.arange(1, 1001, dtype=float)
    >>> est = latency_quantile(log_bin_index(x), np.ones(1000), 0.5,
    ...                        accuracy=0.005, confidence=0.95)
    >>> est.low < 500 < est.high, abs(est.value - 500) / 500 <= 0.005
    (True, True)
    """
    b = np.asarray(bins, np.int64)
    c = np.asarray(counts, np.float64)
    n = round(float(c.sum()))
    if n <= 0:
        return _NAN
    a = 1 - confidence
    r_lo = int(sps.binom.ppf(a / 2, n, q))  # 0-based rank of the lower order statistic
    r_hi = min(int(sps.binom.ppf(1 - a / 2, n, q)) + 1, n)
    # "inverted_cdf" reads the ceil(q n)-th value, so rank r (1-based) is quantile r / n
    qs = np.array([q, max(r_lo, 1) / n, r_hi / n])
    v = quantiles_from_log_bins(b, c, np.clip(qs, 0, 1), accuracy=accuracy)
    lo = float(v[1]) if r_lo >= 1 else 0.0
    return MetricEstimate(float(v[0]), lo, float(v[2]), n, "order statistics")


def _latency(
    summaries: Summaries, q: float, confidence: float, table: str = "latency"
) -> MetricEstimate:
    tab = summaries.table(table)
    if tab.num_rows == 0:
        return _NAN
    return latency_quantile(
        np.asarray(tab["bin"].to_numpy(zero_copy_only=False), np.int64),
        _f64(tab, "count"),
        q,
        accuracy=summaries.meta.latency_accuracy,
        confidence=confidence,
    )


def _hist(summaries: Summaries, feature: str) -> tuple[FloatArray, str]:
    """Histogram of ``feature`` in the (filtered) summaries, on the reference bins."""
    meta = summaries.meta
    if feature == "score":
        tab = summaries.table("score")
        if tab.num_rows == 0:
            return np.zeros(0), "score"
        # the fine grid; _drift groups it into the reference's score deciles
        b = np.clip(np.asarray(tab["score_bin"].to_numpy(zero_copy_only=False), np.int64), 0, None)
        fine = np.bincount(b, weights=_f64(tab, "count"), minlength=meta.score_bins)
        return fine[: meta.score_bins].astype(float), "s"
    if feature in meta.numeric_edges:
        tab = summaries.table("numeric_bins")
        tab = tab.filter(pc.equal(tab["feature"], feature))
        size = len(meta.numeric_edges[feature]) + 2
        b = np.asarray(tab["bin"].to_numpy(zero_copy_only=False), np.int64)
        return np.bincount(b, weights=_f64(tab, "count"), minlength=size).astype(float), "n"
    if feature in meta.categories:
        tab = summaries.table("categorical")
        tab = tab.filter(pc.equal(tab["feature"], feature))
        names = [*meta.categories[feature], "__other__", "__null__", "__unseen__"]
        index = {c: i for i, c in enumerate(names)}
        idx = np.array([index.get(c, len(names) - 1) for c in tab["category"].to_pylist()], int)
        return np.bincount(idx, weights=_f64(tab, "count"), minlength=len(names)).astype(float), "c"
    raise ConfigError(
        f"Drift metric on unknown feature {feature!r}. Features: "
        f"{', '.join(sorted([*meta.numeric_edges, *meta.categories, 'score']))}."
    )


def _drift(
    summaries: Summaries,
    kind: str,
    feature: str,
    *,
    segment: tuple[str, str],
    buckets: tuple[datetime | None, datetime | None] | None,
    window: str,
    confidence: float,
    seed: int,
) -> MetricEstimate:
    ref, _ = _hist(_slice(summaries, window="reference", segment=segment, buckets=None), feature)
    cur, _ = _hist(_slice(summaries, window=window, segment=segment, buckets=buckets), feature)
    if ref.sum() <= 0 or cur.sum() <= 0:
        return _NAN
    if feature == "score":
        # the reference's score deciles (as textbook PSI on scores): on finer bins the
        # divergence of a day's window is dominated by sparse and empty cells
        left = (np.cumsum(ref) - ref) / ref.sum()
        group = np.minimum((left * SCORE_DRIFT_BINS).astype(np.int64), SCORE_DRIFT_BINS - 1)
        ref = np.bincount(group, weights=ref, minlength=SCORE_DRIFT_BINS).astype(float)
        cur = np.bincount(group, weights=cur, minlength=SCORE_DRIFT_BINS).astype(float)
        keep = (ref + cur) > 0  # deciles a heavy grid cell swallowed are empty in both
        ref, cur = ref[keep], cur[keep]
    func = psi if kind == "psi" else jensen_shannon
    value = float(func(ref, cur))
    table = np.vstack([ref, cur])
    b = bootstrap_counts(
        table,
        lambda t: float(func(t[0], t[1])),
        n_boot=N_BOOT,
        seed=seed,
        confidence=confidence,
        independent_rows=True,
    )
    # Divergences of sampled histograms are biased upward (about (bins - 1) / n for PSI), and
    # resampling adds the bias again, so the percentile interval of a small window lies above
    # the truth. The basic bootstrap interval (2 v - hi, 2 v - lo) and the bias-corrected value
    # 2 v - mean(draws) remove the bias to first order.
    mean = float(np.mean(b.distribution)) if b.distribution.size else value
    corrected = max(2 * value - mean, 0.0)
    low, high = max(2 * value - b.high, 0.0), max(2 * value - b.low, 0.0)
    return MetricEstimate(
        corrected, low, high, round(cur.sum()), "bootstrap (both windows), bias-corrected"
    )


def _poisson_rate(total: float, buckets: float, confidence: float) -> MetricEstimate:
    if buckets <= 0:
        return _NAN
    a = 1 - confidence
    lo = float(sps.chi2.ppf(a / 2, 2 * total)) / 2 if total > 0 else 0.0
    hi = float(sps.chi2.ppf(1 - a / 2, 2 * total + 2)) / 2
    return MetricEstimate(total / buckets, lo / buckets, hi / buckets, round(total), "poisson")


# ------------------------------------------------------------ label maturity

#: Points within a bucket at which its rows' ages are sampled (rows spread over the bucket).
_AGE_GRID = (np.arange(8) + 0.5) / 8


def _log_as_of(summaries: Summaries) -> np.datetime64:
    """End of the last bucket of the log (either window): the default ``as_of``."""
    vol = summaries.table("volume")
    width = bucket_width(summaries.meta.bucket)
    if vol.num_rows == 0:
        return np.datetime64(0, "us")
    last = np.asarray(vol["bucket"].to_numpy(zero_copy_only=False)).astype("datetime64[us]").max()
    return np.datetime64(last + width, "us")


@dataclass(frozen=True)
class _LabelClass:
    """One label class of a slice: weights per bucket and labelled counts by lag."""

    starts: npt.NDArray[np.datetime64]  # bucket starts (sorted, unique)
    weight: FloatArray  # rows expected in the class per bucket (all rows for one class)
    arrived: FloatArray  # (bucket, lag) cumulative labelled rows with lag <= lags[j]
    lags: FloatArray  # lag values (seconds), ascending


def _label_classes(part: Summaries, *, lags: FloatArray | None = None) -> list[_LabelClass]:
    """Split a (filtered) slice into label classes with their lag counts per bucket.

    Binary tasks with a score are split into positives (weight: ``score_sum``,
    the expected positives) and negatives (``n - score_sum``), because classes
    can have very different lags (positives are often confirmed later) and a
    change of class mix must not read as a label delay. Otherwise one class.
    Labelled rows without a label timestamp count as arrived at lag 0.
    """
    vol = part.table("volume")
    if vol.num_rows == 0:
        return []
    vb = np.asarray(vol["bucket"].to_numpy(zero_copy_only=False)).astype("datetime64[us]")
    starts, inv = np.unique(vb, return_inverse=True)

    def per_bucket(name: str) -> FloatArray:
        if name not in vol.column_names:
            return np.zeros(starts.size)
        return np.bincount(inv, weights=_f64(vol, name), minlength=starts.size).astype(np.float64)

    n, lab = per_bucket("n"), per_bucket("n_labelled")
    lag = part.table("label_lag")
    lb = np.asarray(lag["bucket"].to_numpy(zero_copy_only=False)).astype("datetime64[us]")
    keep = np.isin(lb, starts)
    lag = lag.filter(pa.array(keep))
    l_bucket = np.searchsorted(starts, lb[keep])
    l_label = np.asarray(lag["label"].to_numpy(zero_copy_only=False), np.int64)
    l_bin = np.asarray(lag["bin"].to_numpy(zero_copy_only=False), np.int64)
    l_val = log_bin_value(l_bin, accuracy=part.meta.latency_accuracy) if l_bin.size else l_bin
    if lags is None:
        lags = np.unique(np.concatenate([[0.0], np.asarray(l_val, np.float64)]))
    l_col = np.clip(np.searchsorted(lags, l_val, side="right") - 1, 0, lags.size - 1)
    l_cnt = _f64(lag, "count")
    score_sum = per_bucket("score_sum")
    binary = part.meta.task == "binary" and float(score_sum.sum()) > 0
    classes: list[tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]]
    if binary:
        pos = per_bucket("label_sum")
        classes = [
            (np.clip(score_sum, 0, n), pos, l_label == 1),
            (np.clip(n - score_sum, 0, n), lab - pos, l_label != 1),
        ]
    else:
        classes = [(n, lab, np.ones(l_label.size, bool))]
    out = []
    for weight, labelled, mask in classes:
        hist = np.zeros((starts.size, lags.size))
        np.add.at(hist, (l_bucket[mask], l_col[mask]), l_cnt[mask])
        hist[:, 0] += np.maximum(labelled - hist.sum(axis=1), 0.0)  # no timestamp: lag 0
        out.append(_LabelClass(starts, weight, np.cumsum(hist, axis=1), lags))
    return out


def _pooled(classes: list[_LabelClass]) -> _LabelClass:
    """All classes as one."""
    first = classes[0]
    weight = np.sum([c.weight for c in classes], axis=0)
    arrived = np.sum([c.arrived for c in classes], axis=0)
    return _LabelClass(first.starts, weight, arrived, first.lags)


def _maturity(
    ref: _LabelClass, ages: FloatArray, *, as_of: np.datetime64, width_s: float
) -> tuple[FloatArray, FloatArray]:
    """Share of a class labelled within ``ages`` seconds of prediction, and its standard error.

    Estimated from the reference buckets whose youngest row is at least that
    old (all of them saw the whole lag span), so labels still on their way in
    the reference do not bias it; if no reference bucket is old enough, from
    all of them (a lower bound).
    """
    youngest = (as_of - ref.starts) / np.timedelta64(1, "s") - width_s
    a = ages.ravel()
    old = youngest[None, :] >= a[:, None]
    old[~old.any(axis=1)] = True
    j = np.searchsorted(ref.lags, a, side="right") - 1
    got = np.where(j[:, None] >= 0, ref.arrived[:, np.maximum(j, 0)].T, 0.0)
    num = (old * got).sum(axis=1)
    den = (old * ref.weight[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.clip(np.where(den > 0, num / np.where(den > 0, den, 1), 0.0), 0.0, 1.0)
        se = np.where(den > 0, np.sqrt(g * (1 - g) / np.where(den > 0, den, 1)), 0.0)
    return g.reshape(ages.shape), se.reshape(ages.shape)


def expected_labels(
    summaries: Summaries,
    *,
    window: str = "current",
    segment: tuple[str, str] = ("", ""),
    buckets: tuple[datetime | None, datetime | None] | None = None,
    as_of: datetime | None = None,
) -> tuple[float, float, float, float]:
    """Labelled rows of a slice against those the reference predicts by ``as_of``.

    Each row of the slice, at its age ``as_of - timestamp`` (spread over its
    bucket), is expected to be labelled with the probability that a reference
    row of the same class (segment value) was labelled within that lag. The
    reference's labelled share within lag ``a`` is read from the reference
    buckets at least ``a`` old, so an immature reference does not bias it.

    Parameters
    ----------
    summaries
        Summaries with a reference window and a ``label_lag`` table.
    window, segment, buckets
        The slice, as in :func:`metric_value`.
    as_of
        When the log was taken (labels after it cannot be in it); default: the
        end of its last bucket.

    Returns
    -------
    tuple of float
        ``(labelled, rows, expected, expected_se)``: labelled rows, rows,
        the expected labelled rows, and the standard error of the expectation
        from the reference's finite size (classes and ages added as if fully
        correlated, an upper bound).
    """
    at = _log_as_of(summaries) if as_of is None else np.datetime64(as_of, "us")
    width = bucket_width(summaries.meta.bucket)
    width_s = float(width / np.timedelta64(1, "s"))
    ref = _label_classes(_slice(summaries, window="reference", segment=segment, buckets=None))
    cur_part = _slice(summaries, window=window, segment=segment, buckets=buckets)
    vol = _volume(cur_part)
    if not ref:
        return vol["n_labelled"], vol["n"], 0.0, 0.0
    cur = _label_classes(cur_part, lags=ref[0].lags)
    if not cur:
        return vol["n_labelled"], vol["n"], 0.0, 0.0
    if len(cur) != len(ref):  # a score in one slice only: compare all classes pooled
        ref, cur = [_pooled(ref)], [_pooled(cur)]
    expected = se = 0.0
    for r, c in zip(ref, cur, strict=True):
        age = (at - c.starts) / np.timedelta64(1, "s")
        ages = np.maximum(age[:, None] - _AGE_GRID[None, :] * width_s, 0.0)
        g, g_se = _maturity(r, ages, as_of=at, width_s=width_s)
        expected += float((c.weight * g.mean(axis=1)).sum())
        se += float((c.weight * g_se.mean(axis=1)).sum())
    return vol["n_labelled"], vol["n"], expected, se


def _coverage_vs_expected(
    labelled: float, rows: float, expected: float, expected_se: float, confidence: float
) -> MetricEstimate:
    """Labelled / expected, with a Wilson interval widened by the expectation's error."""
    if rows <= 0 or expected <= 0:
        return _NAN
    share = expected / rows
    r = labelled / expected
    lo1, hi1 = (
        b / share for b in wilson_interval(min(labelled, rows), rows, confidence=confidence)
    )
    rel = float(sps.norm.ppf(0.5 + confidence / 2)) * expected_se / expected
    lo = max(r - math.sqrt((r - lo1) ** 2 + (r * rel) ** 2), 0.0)
    hi = r + math.sqrt((hi1 - r) ** 2 + (hi1 * rel) ** 2)
    return MetricEstimate(r, lo, hi, round(rows), "Wilson / expected (reference lag)")


def metric_value(
    summaries: Summaries,
    metric: str,
    *,
    window: str = "current",
    segment: tuple[str, str] = ("", ""),
    buckets: tuple[datetime | None, datetime | None] | None = None,
    confidence: float = 0.95,
    costs: CostModel | None = None,
    seed: int = 0,
) -> MetricEstimate:
    """The value of ``metric`` on one window, segment and bucket range, with its interval.

    Parameters
    ----------
    summaries
        Summaries of a log.
    metric
        A metric name (see the module docstring).
    window
        ``"current"`` or ``"reference"``.
    segment
        ``(column, value)``; ``("", "")`` for all traffic.
    buckets
        ``(start, end)``: start inclusive, end exclusive (either may be ``None``).
    confidence
        Level of the two-sided interval.
    costs
        The cost model, needed by ``expected_cost``.
    seed
        Seed of the bootstrap draws.

    Returns
    -------
    MetricEstimate
        ``value, low, high, n`` (unpacks as a tuple); all nan and ``n = 0``
        when there is no data.

    Examples
    --------
    >>> import datetime as dt, pyarrow as pa
    >>> from modelward.io import read_log
    >>> from modelward.engine import get_engine
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> s = np.clip(0.4 * y + rng.uniform(0, 0.6, 400), 0, 1)
    >>> t = pa.table({"prediction_id": [str(i) for i in range(400)],
    ...               "timestamp": [dt.datetime(2026, 1, 1 + i % 4) for i in range(400)],
    ...               "score": s, "prediction": (s >= 0.5).astype(int), "label": y})
    >>> summ = get_engine().summarise(read_log(t))
    >>> v, lo, hi, n = metric_value(summ, "recall")
    >>> n == int(y.sum()) and lo < v < hi
    True
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(
            f"The 'confidence' parameter of metric_value must be in (0, 1). Got {confidence!r}."
        )
    kind, arg = parse_metric(metric)
    if kind in ("psi", "js"):
        return _drift(
            summaries,
            kind,
            str(arg),
            segment=segment,
            buckets=buckets,
            window=window,
            confidence=confidence,
            seed=seed,
        )
    if kind == "expected_cost":
        return _expected_cost(
            summaries,
            window=window,
            segment=segment,
            buckets=buckets,
            costs=costs,
            confidence=confidence,
        )
    part = _slice(summaries, window=window, segment=segment, buckets=buckets)
    if kind == "latency":
        return _latency(part, float(arg), confidence)  # type: ignore[arg-type]
    if kind == "label_lag":
        return _latency(part, float(arg), confidence, "label_lag")  # type: ignore[arg-type]
    vol = _volume(part)
    if kind == "label_coverage":
        return _prop(vol["n_labelled"], vol["n"], confidence)
    if kind == "label_coverage_vs_expected":
        return _coverage_vs_expected(
            *expected_labels(summaries, window=window, segment=segment, buckets=buckets),
            confidence,
        )
    if kind == "volume":
        return _poisson_rate(vol["n"], vol["buckets"], confidence)
    if kind in REGRESSION_METRICS:
        return _regression(kind, vol, confidence)
    if summaries.meta.task != "binary":
        raise ConfigError(f"The metric {metric!r} needs a binary task with a score.")
    return _binary(kind, score_slice(part), vol, confidence, seed)


def cost_of(conf: Mapping[str, float], spec: CostSpec) -> float:
    """Total cost of a confusion ``{tp, fp, fn, tn}`` under ``spec``.

    Examples
    --------
    >>> cost_of({"tp": 2, "fp": 10, "fn": 1, "tn": 87}, CostSpec(fp=5, fn=120, tp=10))
    150.0
    """
    return float(spec.fp * conf["fp"] + spec.fn * conf["fn"] - spec.tp * conf["tp"])
