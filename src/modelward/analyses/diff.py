"""What changed between two model versions: flips, metric deltas, score shift, data drift.

Two modes, chosen by :func:`choose_mode` from how many prediction ids both logs share:

**paired** (both versions scored the same rows, e.g. a shadow deployment or a
backtest): the join's count table (:class:`modelward.engine.paired.PairedCounts`)
gives the prediction flip rate (Wilson interval) overall and per segment, the
flips per segment and baseline-score band, and metric deltas with *paired*
intervals, which use the correlation between the versions' outcomes on the same
rows and are therefore narrower than independent ones:

- accuracy, recall, FPR, positive-prediction rate: Newcombe's (1998) method 10
  for the difference of paired proportions (Wilson intervals of each version
  combined with the phi correlation of the 2x2 agreement table); the p-value is
  McNemar's exact test (binomial on the discordant pairs);
- ROC-AUC: DeLong, DeLong & Clarke-Pearson (1988) for correlated AUCs, computed
  exactly from the (baseline bin, candidate bin, label) counts: each positive in
  cell ``(i, j)`` has structural components ``V10 = (neg below + ties / 2) / N``
  in bin ``i`` for the baseline and bin ``j`` for the candidate; the variance of
  the difference is ``(S10_bb + S10_cc - 2 S10_bc) / P + (S01_...) / N``. Scores
  are binned (``bins`` per version), so both AUCs carry the usual binning bias
  (:func:`modelward.stats.auc_binned_error_bound`), largely common to both;
- precision and F1: a multinomial bootstrap of the 8 (baseline prediction,
  candidate prediction, label) cells of the labelled rows (rows are resampled as
  pairs).

Each paired delta also carries the interval an independent-samples analysis of
the same two marginals would give (``independent_interval``), to show what the
pairing buys. The score shift (PSI on 10 bands, binned KS) is of the candidate's
scores against the baseline's on the shared rows; its KS p-value assumes
independent samples and is conservative for paired ones.

**independent** (few or no shared ids, e.g. two different periods): metric
deltas with intervals from two independent samples (MOVER with Wilson intervals,
DeLong variances summed, a bootstrap with each log resampled alone), the score
shift, and the per-feature drift of the candidate's input data against the
baseline's (a :class:`modelward.analyses.results.DriftResult` computed by the
caller from the summaries).

Examples
--------
>>> choose_mode(n_baseline=1000, n_candidate=1000, n_shared=990)
'paired'

The kernels are in :mod:`modelward.stats.paired`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from modelward._exceptions import ConfigError
from modelward.analyses.results import FeatureDrift, Interval
from modelward.engine.paired import LogCounts, PairedCounts
from modelward.stats import bootstrap_counts, ks_binned, psi, wilson_interval
from modelward.stats.paired import (
    auc_delong_variance,
    check_confidence,
    confusion_cells,
    independent_proportion_diff,
    mcnemar_exact,
    paired_auc_diff,
    paired_proportion_diff,
    precision_f1_counts,
    z_value,
)

__all__ = [
    "BANDS",
    "DiffMode",
    "DiffResult",
    "FlipBand",
    "FlipRate",
    "MetricDelta",
    "ScoreShift",
    "analyse_independent",
    "analyse_paired",
    "choose_mode",
]

FloatArray = npt.NDArray[np.float64]
DiffMode = Literal["paired", "independent"]

#: Score bands of the flip table and of the PSI.
BANDS = 10
#: Bootstrap draws for precision and F1 deltas.
N_BOOT = 1000
#: metric -> direction: "up" higher is better, "down" lower is better, "" neither.
DIRECTION: dict[str, str] = {
    "accuracy": "up",
    "recall": "up",
    "precision": "up",
    "f1": "up",
    "fpr": "down",
    "roc_auc": "up",
    "positive_rate": "",
}


# ---------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlipRate(_Model):
    """Share of the shared rows whose served prediction differs between the versions."""

    segment: str = ""
    segment_value: str = ""
    n: int
    n_flipped: int
    n_up: int  # baseline 0 -> candidate 1
    n_down: int  # baseline 1 -> candidate 0
    rate: float | None
    interval: Interval | None


class FlipBand(_Model):
    """Flips of one segment value within one band of the baseline score."""

    segment: str = ""
    segment_value: str = ""
    band: str  # e.g. "[0.1, 0.2)"
    low: float
    high: float
    n: int
    n_flipped: int
    n_up: int
    n_down: int


class MetricDelta(_Model):
    """``candidate - baseline`` for one metric, with its interval."""

    metric: str
    segment: str = ""
    segment_value: str = ""
    baseline: float | None
    candidate: float | None
    delta: float | None
    interval: Interval | None  # paired in paired mode, independent otherwise
    independent_interval: Interval | None = None  # paired mode: what independence would give
    p_value: float | None = None  # McNemar exact for paired proportions
    n_baseline: int
    n_candidate: int
    significant: bool  # interval excludes 0
    worse: bool  # significant and on the bad side of 0


class ScoreShift(_Model):
    """Candidate scores against baseline scores."""

    psi: float | None  # on BANDS equal-width bands
    ks: float | None  # binned KS statistic (a lower bound of the exact one)
    ks_p_value: float | None
    bands: list[str]
    baseline: list[float]  # proportions per band
    candidate: list[float]
    n_baseline: int
    n_candidate: int


class DiffResult(_Model):
    """What changed between a baseline and a candidate model version."""

    mode: DiffMode
    baseline_source: str
    candidate_source: str
    baseline_versions: list[str] = Field(default_factory=list)
    candidate_versions: list[str] = Field(default_factory=list)
    n_baseline: int
    n_candidate: int
    n_shared: int
    confidence: float
    bins: int  # score bins per version behind AUC and KS
    notes: list[str] = Field(default_factory=list)
    summary: list[str] = Field(default_factory=list)  # "what changed", in sentences
    flip: FlipRate | None = None  # paired mode, all traffic
    flips_by_segment: list[FlipRate] = Field(default_factory=list)
    flip_bands: list[FlipBand] = Field(default_factory=list)
    metrics: list[MetricDelta] = Field(default_factory=list)  # all traffic, then segments
    score_shift: ScoreShift | None = None
    feature_drift: list[FeatureDrift] = Field(default_factory=list)  # independent mode


# ---------------------------------------------------------------- helpers


def choose_mode(
    n_baseline: int,
    n_candidate: int,
    n_shared: int,
    *,
    min_fraction: float = 0.5,
    min_shared: int = 30,
) -> DiffMode:
    """``"paired"`` when the logs share at least ``min_shared`` ids and ``min_fraction``
    of the smaller log, else ``"independent"``.

    Examples
    --------
    >>> choose_mode(1000, 900, 880), choose_mode(1000, 900, 20)
    ('paired', 'independent')
    """
    smaller = min(n_baseline, n_candidate)
    if n_shared >= min_shared and smaller > 0 and n_shared >= min_fraction * smaller:
        return "paired"
    return "independent"


def _f(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _interval(lo: float, hi: float, confidence: float, method: str) -> Interval | None:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    lo, hi = (0.0 if abs(v) < 1e-12 else float(v) for v in (lo, hi))
    return Interval(low=lo, high=hi, confidence=confidence, method=method)


def _delta(
    metric: str,
    seg: tuple[str, str],
    values: tuple[float, float, float],
    interval: Interval | None,
    n: tuple[int, int],
    *,
    independent: Interval | None = None,
    p_value: float | None = None,
) -> MetricDelta:
    b, c, d = values
    sig = interval is not None and (
        (interval.low or 0.0) > 0 or (interval.high if interval.high is not None else 0.0) < 0
    )
    direction = DIRECTION.get(metric, "")
    worse = bool(
        sig
        and math.isfinite(d)
        and ((direction == "up" and d < 0) or (direction == "down" and d > 0))
    )
    return MetricDelta(
        metric=metric,
        segment=seg[0],
        segment_value=seg[1],
        baseline=_f(b),
        candidate=_f(c),
        delta=_f(d),
        interval=interval,
        independent_interval=independent,
        p_value=_f(p_value) if p_value is not None else None,
        n_baseline=n[0],
        n_candidate=n[1],
        significant=bool(sig),
        worse=worse,
    )


def _bootstrap(
    counts: FloatArray,
    stat: Callable[[FloatArray], FloatArray],
    *,
    independent_rows: bool,
    confidence: float,
    seed: int,
) -> tuple[float, float]:
    if counts.sum() == 0 or (independent_rows and (counts.sum(axis=-1) == 0).any()):
        return math.nan, math.nan
    value = float(stat(counts))
    if not math.isfinite(value):
        return math.nan, math.nan
    res = bootstrap_counts(
        counts,
        stat,
        n_boot=N_BOOT,
        seed=seed,
        confidence=confidence,
        independent_rows=independent_rows,
        vectorised=True,
    )
    return res.low, res.high


# ---------------------------------------------------------------- cubes

# A marginal cube has shape (bins + 1, 3, 3): score bin + 1, prediction + 1, label + 1
# (index 0 of each axis is "missing"). A paired cube has shape
# (bins + 1, bins + 1, 3, 3, 3): b_bin, c_bin, b_pred, c_pred, label (each + 1).


def _group_cubes(
    table: pa.Table, keys: tuple[str, ...], shape: tuple[int, ...]
) -> dict[tuple[str, str], FloatArray]:
    seg = table["segment"].to_pylist()
    val = table["segment_value"].to_pylist()
    idx = [table[k].to_numpy().astype(np.int64) + 1 for k in keys]
    n = table["n"].to_numpy().astype(np.float64)
    out: dict[tuple[str, str], FloatArray] = {}
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(seg, val, strict=True)):
        groups.setdefault((str(key[0]), str(key[1])), []).append(i)
    for key, rows in groups.items():
        cube = np.zeros(shape)
        r = np.asarray(rows)
        np.add.at(cube, tuple(ix[r] for ix in idx), n[r])
        out[key] = cube
    return out


def _band_edges(bins: int) -> list[tuple[float, float]]:
    return [(i / BANDS, (i + 1) / BANDS) for i in range(BANDS)]


def _band_label(lo: float, hi: float) -> str:
    return f"[{lo:.1f}, {hi:.1f}{']' if hi >= 1 else ')'}"


def _to_bands(hist: FloatArray, bins: int) -> FloatArray:
    """Coarsen a histogram over ``bins`` score bins (index 0 = missing dropped) to BANDS."""
    band = np.minimum((np.arange(bins) * BANDS) // bins, BANDS - 1)
    out = np.zeros(BANDS)
    np.add.at(out, band, hist[1:])
    return out


def _score_shift(hb: FloatArray, hc: FloatArray, bins: int) -> ScoreShift | None:
    """Shift of candidate scores (``hc``) against baseline scores (``hb``), index 0 = missing."""
    sb, sc = hb[1:], hc[1:]
    if sb.sum() == 0 or sc.sum() == 0:
        return None
    bb, bc = _to_bands(hb, bins), _to_bands(hc, bins)
    p = psi(bb, bc)
    ks = ks_binned(sb, sc)
    return ScoreShift(
        psi=_f(p),
        ks=_f(ks.statistic),
        ks_p_value=_f(ks.pvalue),
        bands=[_band_label(lo, hi) for lo, hi in _band_edges(bins)],
        baseline=(bb / bb.sum()).tolist(),
        candidate=(bc / bc.sum()).tolist(),
        n_baseline=int(sb.sum()),
        n_candidate=int(sc.sum()),
    )


def _independent_metrics(
    mb: FloatArray,
    mc: FloatArray,
    seg: tuple[str, str],
    *,
    confidence: float,
    seed: int,
    has_score: bool,
) -> dict[str, MetricDelta]:
    """Metric deltas of two independent samples from their marginal cubes."""
    method = "MOVER-Wilson (independent)"
    out: dict[str, MetricDelta] = {}
    # positive prediction rate on every row with a prediction
    kb, nb = mb[:, 2, :].sum(), mb[:, 1:, :].sum()
    kc, nc = mc[:, 2, :].sum(), mc[:, 1:, :].sum()
    d, lo, hi = independent_proportion_diff(kb, nb, kc, nc, confidence=confidence)
    out["positive_rate"] = _delta(
        "positive_rate",
        seg,
        (_ratio(kb, nb), _ratio(kc, nc), d),
        _interval(lo, hi, confidence, method),
        (int(nb), int(nc)),
    )
    # labelled rows: (pred 0/1, label 0/1)
    pb, pc = mb[:, 1:, 1:].sum(axis=0), mc[:, 1:, 1:].sum(axis=0)
    if pb.sum() == 0 or pc.sum() == 0:
        return out
    # (pred, label) table -> (events, rows) of each proportion metric
    events: dict[str, Callable[[FloatArray], tuple[float, float]]] = {
        "accuracy": lambda t: (float(t[0, 0] + t[1, 1]), float(t.sum())),
        "recall": lambda t: (float(t[1, 1]), float(t[:, 1].sum())),
        "fpr": lambda t: (float(t[1, 0]), float(t[:, 0].sum())),
    }
    for metric, count in events.items():
        (k1, n1), (k2, n2) = count(pb), count(pc)
        if n1 == 0 or n2 == 0:
            continue
        d, lo, hi = independent_proportion_diff(k1, n1, k2, n2, confidence=confidence)
        out[metric] = _delta(
            metric,
            seg,
            (k1 / n1, k2 / n2, d),
            _interval(lo, hi, confidence, method),
            (int(n1), int(n2)),
        )
    table = np.stack([confusion_cells(pb), confusion_cells(pc)])  # (2, 4)
    for i, metric in enumerate(("precision", "f1")):
        values = precision_f1_counts(table)[i]

        def stat(c: FloatArray, i: int = i) -> FloatArray:
            v = precision_f1_counts(c)[i]
            return np.asarray(v[..., 1] - v[..., 0], dtype=np.float64)

        lo, hi = _bootstrap(table, stat, independent_rows=True, confidence=confidence, seed=seed)
        out[metric] = _delta(
            metric,
            seg,
            (float(values[0]), float(values[1]), float(values[1] - values[0])),
            _interval(lo, hi, confidence, "bootstrap (independent)"),
            (int(pb.sum()), int(pc.sum())),
        )
    if has_score:
        posb, negb = mb[1:, 1:, 2].sum(axis=1), mb[1:, 1:, 1].sum(axis=1)
        posc, negc = mc[1:, 1:, 2].sum(axis=1), mc[1:, 1:, 1].sum(axis=1)
        ab, vb = auc_delong_variance(posb, negb)
        ac, vc = auc_delong_variance(posc, negc)
        if math.isfinite(ab) and math.isfinite(ac):
            half = z_value(confidence) * math.sqrt(vb + vc)
            out["roc_auc"] = _delta(
                "roc_auc",
                seg,
                (ab, ac, ac - ab),
                _interval(ac - ab - half, ac - ab + half, confidence, "DeLong (independent)"),
                (int(posb.sum() + negb.sum()), int(posc.sum() + negc.sum())),
            )
    return out


def _ratio(k: float, n: float) -> float:
    return k / n if n > 0 else math.nan


_ORDER = ("accuracy", "recall", "precision", "f1", "fpr", "roc_auc", "positive_rate")


def _paired_metrics(
    cube: FloatArray, seg: tuple[str, str], *, confidence: float, seed: int, has_score: bool
) -> list[MetricDelta]:
    """Paired metric deltas from a paired cube, each with its independent counterpart."""
    mb = cube.sum(axis=(1, 3))  # (b_bin, b_pred, label)
    mc = cube.sum(axis=(0, 2))  # (c_bin, c_pred, label)
    indep = _independent_metrics(mb, mc, seg, confidence=confidence, seed=seed, has_score=has_score)
    method = "Newcombe paired (method 10)"
    preds = cube.sum(axis=(0, 1))[1:, 1:, :]  # (b_pred 0/1, c_pred 0/1, label state)
    out: dict[str, MetricDelta] = {}

    def paired(metric: str, event_b: FloatArray, event_c: FloatArray, rows: FloatArray) -> None:
        """``rows``: counts over (b_pred, c_pred) of the rows in the denominator."""
        a = float((rows * event_b * event_c).sum())
        b = float((rows * event_b * (1 - event_c)).sum())
        c = float((rows * (1 - event_b) * event_c).sum())
        d = float((rows * (1 - event_b) * (1 - event_c)).sum())
        n = a + b + c + d
        if n == 0:
            return
        delta, lo, hi = paired_proportion_diff(a, b, c, d, confidence=confidence)
        ind = indep.get(metric)
        out[metric] = _delta(
            metric,
            seg,
            ((a + b) / n, (a + c) / n, delta),
            _interval(lo, hi, confidence, method),
            (int(n), int(n)),
            independent=ind.interval if ind else None,
            p_value=mcnemar_exact(b, c),
        )

    pb = np.array([[0.0, 0.0], [1.0, 1.0]])  # baseline predicts 1, indexed [b_pred, c_pred]
    pcand = pb.T
    paired("positive_rate", pb, pcand, preds.sum(axis=2))
    lab0, lab1 = preds[:, :, 1], preds[:, :, 2]
    if lab0.sum() + lab1.sum() > 0:
        # accuracy over all labelled rows: correct = (pred == label)
        a = b = c = d = 0.0
        for t, lab in ((1.0, lab1), (0.0, lab0)):
            eb = pb if t == 1.0 else 1 - pb
            ec = pcand if t == 1.0 else 1 - pcand
            a += float((lab * eb * ec).sum())
            b += float((lab * eb * (1 - ec)).sum())
            c += float((lab * (1 - eb) * ec).sum())
            d += float((lab * (1 - eb) * (1 - ec)).sum())
        n = a + b + c + d
        delta, lo, hi = paired_proportion_diff(a, b, c, d, confidence=confidence)
        ind = indep.get("accuracy")
        out["accuracy"] = _delta(
            "accuracy",
            seg,
            ((a + b) / n, (a + c) / n, delta),
            _interval(lo, hi, confidence, method),
            (int(n), int(n)),
            independent=ind.interval if ind else None,
            p_value=mcnemar_exact(b, c),
        )
        if lab1.sum() > 0:
            paired("recall", pb, pcand, lab1)
        if lab0.sum() > 0:
            paired("fpr", pb, pcand, lab0)
        # precision / F1: bootstrap of the 8 (b_pred, c_pred, label) cells, rows kept paired
        cells = np.stack([lab0, lab1], axis=-1).reshape(-1)  # index: b_pred*4 + c_pred*2 + y

        for metric, i in (("precision", 0), ("f1", 1)):

            def stat(c: FloatArray, i: int = i) -> FloatArray:
                t = c.reshape(*c.shape[:-1], 2, 2, 2)
                vb = precision_f1_counts(confusion_cells(t.sum(axis=-2)))[i]
                vc = precision_f1_counts(confusion_cells(t.sum(axis=-3)))[i]
                return np.asarray(vc - vb, dtype=np.float64)

            ind = indep.get(metric)
            if ind is None or ind.delta is None:
                continue
            lo, hi = _bootstrap(
                cells, stat, independent_rows=False, confidence=confidence, seed=seed
            )
            out[metric] = _delta(
                metric,
                seg,
                (ind.baseline or math.nan, ind.candidate or math.nan, ind.delta),
                _interval(lo, hi, confidence, "paired bootstrap"),
                (int(cells.sum()), int(cells.sum())),
                independent=ind.interval,
            )
        if has_score:
            lab_scores = cube[1:, 1:, 1:, 1:, :].sum(axis=(2, 3))  # (b_bin, c_bin, label state)
            ab, ac, d, lo, hi, ih = paired_auc_diff(
                lab_scores[:, :, 2], lab_scores[:, :, 1], confidence=confidence
            )
            if math.isfinite(ab):
                n_lab = int(lab_scores[:, :, 1:].sum())
                out["roc_auc"] = _delta(
                    "roc_auc",
                    seg,
                    (ab, ac, d),
                    _interval(lo, hi, confidence, "DeLong paired"),
                    (n_lab, n_lab),
                    independent=_interval(d - ih, d + ih, confidence, "DeLong (independent)"),
                )
    return [out[m] for m in _ORDER if m in out]


def _flip(cube: FloatArray, seg: tuple[str, str], confidence: float) -> FlipRate:
    preds = cube.sum(axis=(0, 1, 4))[1:, 1:]  # (b_pred 0/1, c_pred 0/1)
    n = float(preds.sum())
    up, down = float(preds[0, 1]), float(preds[1, 0])
    k = up + down
    iv = None
    if n > 0:
        lo, hi = wilson_interval(k, n, confidence=confidence)
        iv = _interval(lo, hi, confidence, "Wilson")
    return FlipRate(
        segment=seg[0],
        segment_value=seg[1],
        n=int(n),
        n_flipped=int(k),
        n_up=int(up),
        n_down=int(down),
        rate=k / n if n > 0 else None,
        interval=iv,
    )


def _flip_bands(cube: FloatArray, seg: tuple[str, str], bins: int) -> list[FlipBand]:
    per_bin = cube.sum(axis=(1, 4))[1:, 1:, 1:]  # (b_bin, b_pred 0/1, c_pred 0/1)
    band = np.minimum((np.arange(bins) * BANDS) // bins, BANDS - 1)
    tab = np.zeros((BANDS, 2, 2))
    np.add.at(tab, band, per_bin)
    out = []
    for i, (lo, hi) in enumerate(_band_edges(bins)):
        n = tab[i].sum()
        if n == 0:
            continue
        out.append(
            FlipBand(
                segment=seg[0],
                segment_value=seg[1],
                band=_band_label(lo, hi),
                low=lo,
                high=hi,
                n=int(n),
                n_flipped=int(tab[i, 0, 1] + tab[i, 1, 0]),
                n_up=int(tab[i, 0, 1]),
                n_down=int(tab[i, 1, 0]),
            )
        )
    return out


# ---------------------------------------------------------------- analyses


def _fmt_delta(m: MetricDelta) -> str:
    iv = m.interval
    where = "" if not m.segment else f" in {m.segment}={m.segment_value}"
    ci = "" if iv is None else f" ({iv.confidence:.0%} CI {iv.low:+.3f} to {iv.high:+.3f})"
    return (
        f"{m.metric}{where} {'fell' if (m.delta or 0) < 0 else 'rose'} by "
        f"{abs(m.delta or 0):.3f} ({m.baseline:.3f} → {m.candidate:.3f}){ci}"
    )


def _summary(result_parts: dict[str, object]) -> list[str]:
    lines: list[str] = []
    flip = result_parts.get("flip")
    if isinstance(flip, FlipRate) and flip.rate is not None:
        lines.append(
            f"{flip.rate:.2%} of the {flip.n:,} shared predictions flipped "
            f"({flip.n_up:,} 0→1, {flip.n_down:,} 1→0)."
        )
        by_seg = result_parts.get("flips_by_segment")
        if isinstance(by_seg, list) and by_seg:
            top = max(by_seg, key=lambda f: f.rate or 0.0)
            if top.rate:
                lines.append(
                    f"Most flips in {top.segment}={top.segment_value}: {top.rate:.2%} of "
                    f"{top.n:,} rows."
                )
    metrics = result_parts.get("metrics")
    if isinstance(metrics, list):
        overall = [m for m in metrics if not m.segment]
        for m in overall:
            if m.significant and m.baseline is not None and m.candidate is not None:
                lines.append(_fmt_delta(m) + (": worse." if m.worse else "."))
        if overall and not any(m.significant for m in overall):
            lines.append("No metric changed significantly overall.")
        worse_segments = sorted(
            (m for m in metrics if m.segment and m.worse and m.interval is not None),
            key=lambda m: -min(abs(m.interval.low or 0.0), abs(m.interval.high or 0.0)),
        )
        for m in worse_segments[:5]:
            if m.baseline is not None and m.candidate is not None:
                lines.append(_fmt_delta(m) + ": worse.")
    shift = result_parts.get("score_shift")
    if isinstance(shift, ScoreShift) and shift.psi is not None:
        lines.append(f"Score distribution shift: PSI {shift.psi:.3f}, KS {shift.ks or 0:.3f}.")
    drift = result_parts.get("feature_drift")
    if isinstance(drift, list):
        drifted = sorted({d.feature for d in drift if d.drifted and not d.segment})
        if drifted:
            lines.append("Input data drifted between the two logs: " + ", ".join(drifted) + ".")
    return lines


def analyse_paired(
    counts: PairedCounts,
    *,
    baseline_source: str = "baseline",
    candidate_source: str = "candidate",
    confidence: float = 0.95,
    seed: int = 0,
    notes: list[str] | None = None,
) -> DiffResult:
    """The paired diff of two versions that scored the same rows, from the join's counts.

    Parameters
    ----------
    counts
        The count table of :func:`modelward.engine.paired.paired_counts`.
    baseline_source, candidate_source
        Names of the logs, for the result.
    confidence
        Level of every interval.
    seed
        Seed of the bootstrap draws (precision, F1).
    notes
        Notes to carry into the result.

    Returns
    -------
    DiffResult
        ``mode="paired"``: flip rates, flip bands, paired metric deltas (all
        traffic and per segment value) and the score shift on the shared rows.
    """
    conf = check_confidence(confidence, "analyse_paired")
    bins = counts.bins
    size = bins + 1
    cubes = _group_cubes(
        counts.table, ("b_bin", "c_bin", "b_pred", "c_pred", "label"), (size, size, 3, 3, 3)
    )
    notes = list(notes or [])
    if counts.n_shared < max(counts.n_baseline, counts.n_candidate):
        notes.append(
            f"Paired on the {counts.n_shared:,} ids both logs scored "
            f"({counts.n_baseline:,} baseline rows, {counts.n_candidate:,} candidate rows)."
        )
    if not counts.has_label:
        notes.append("No label column: only label-free changes (flips, positive rate, scores).")
    flips: list[FlipRate] = []
    bands: list[FlipBand] = []
    metrics: list[MetricDelta] = []
    flip = None
    for seg in sorted(cubes):
        cube = cubes[seg]
        f = _flip(cube, seg, conf)
        if seg == ("", ""):
            flip = f
        else:
            flips.append(f)
        if counts.has_score:
            bands += _flip_bands(cube, seg, bins)
        metrics += _paired_metrics(
            cube, seg, confidence=conf, seed=seed, has_score=counts.has_score
        )
    shift = None
    whole = cubes.get(("", ""))
    if counts.has_score and whole is not None:
        shift = _score_shift(whole.sum(axis=(1, 2, 3, 4)), whole.sum(axis=(0, 2, 3, 4)), bins)
    parts: dict[str, object] = {
        "flip": flip,
        "flips_by_segment": flips,
        "metrics": metrics,
        "score_shift": shift,
    }
    return DiffResult(
        mode="paired",
        baseline_source=baseline_source,
        candidate_source=candidate_source,
        baseline_versions=list(counts.baseline_versions),
        candidate_versions=list(counts.candidate_versions),
        n_baseline=counts.n_baseline,
        n_candidate=counts.n_candidate,
        n_shared=counts.n_shared,
        confidence=conf,
        bins=bins,
        notes=notes,
        summary=_summary(parts),
        flip=flip,
        flips_by_segment=flips,
        flip_bands=bands,
        metrics=metrics,
        score_shift=shift,
    )


def analyse_independent(
    baseline: LogCounts,
    candidate: LogCounts,
    *,
    feature_drift: list[FeatureDrift] | None = None,
    n_shared: int = 0,
    baseline_source: str = "baseline",
    candidate_source: str = "candidate",
    baseline_versions: tuple[str, ...] = (),
    candidate_versions: tuple[str, ...] = (),
    confidence: float = 0.95,
    seed: int = 0,
    notes: list[str] | None = None,
) -> DiffResult:
    """The diff of two versions seen on different rows (e.g. different periods).

    Parameters
    ----------
    baseline, candidate
        Count tables of :func:`modelward.engine.paired.log_counts`, same ``bins``.
    feature_drift
        Per-feature drift of the candidate's inputs against the baseline's
        (``DriftResult.features`` of the two logs' summaries), if computed.
    n_shared
        Ids both logs hold (reported; too few to pair).
    confidence, seed, notes
        As in :func:`analyse_paired`.

    Returns
    -------
    DiffResult
        ``mode="independent"``: metric deltas with independent intervals (all
        traffic and per segment value present in both), the score shift and
        the feature drift.
    """
    conf = check_confidence(confidence, "analyse_independent")
    if baseline.bins != candidate.bins:
        raise ConfigError(
            "The baseline and candidate counts of analyse_independent must use the same bins. "
            f"Got {baseline.bins} and {candidate.bins}."
        )
    bins = baseline.bins
    shape = (bins + 1, 3, 3)
    cb = _group_cubes(baseline.table, ("bin", "pred", "label"), shape)
    cc = _group_cubes(candidate.table, ("bin", "pred", "label"), shape)
    has_score = baseline.has_score and candidate.has_score
    notes = [
        f"The logs share {n_shared:,} prediction ids: too few to pair, so the versions are "
        "compared as independent samples (wider intervals) and the drift of their input "
        "data is shown.",
        *(notes or []),
    ]
    metrics: list[MetricDelta] = []
    for seg in sorted(set(cb) & set(cc)):
        found = _independent_metrics(
            cb[seg], cc[seg], seg, confidence=conf, seed=seed, has_score=has_score
        )
        metrics += [found[m] for m in _ORDER if m in found]
    shift = None
    if has_score and ("", "") in cb and ("", "") in cc:
        shift = _score_shift(cb[("", "")].sum(axis=(1, 2)), cc[("", "")].sum(axis=(1, 2)), bins)
    drift = list(feature_drift or [])
    parts: dict[str, object] = {"metrics": metrics, "score_shift": shift, "feature_drift": drift}
    return DiffResult(
        mode="independent",
        baseline_source=baseline_source,
        candidate_source=candidate_source,
        baseline_versions=list(baseline_versions),
        candidate_versions=list(candidate_versions),
        n_baseline=baseline.n_rows,
        n_candidate=candidate.n_rows,
        n_shared=n_shared,
        confidence=conf,
        bins=bins,
        notes=notes,
        summary=_summary(parts),
        metrics=metrics,
        score_shift=shift,
        feature_drift=drift,
    )
