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

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from modelward._exceptions import ConfigError
from modelward.analyses.diff_deltas import _ORDER, _independent_metrics, _paired_metrics
from modelward.analyses.diff_deltas import DIRECTION as DIRECTION
from modelward.analyses.diff_deltas import N_BOOT as N_BOOT
from modelward.analyses.diff_flips import BANDS, _flip, _flip_bands, _score_shift
from modelward.analyses.diff_results import (
    DiffMode,
    DiffResult,
    FlipBand,
    FlipRate,
    MetricDelta,
    ScoreShift,
)
from modelward.analyses.results import FeatureDrift
from modelward.engine.paired import LogCounts, PairedCounts
from modelward.stats.paired import check_confidence

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
