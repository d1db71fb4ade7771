"""Per-feature, score and prediction drift between the reference and current windows.

The reference is every reference-window bucket merged; the current window is
every current bucket merged. For each feature (all traffic and every segment
value) the binned histograms of the summaries give PSI, Jensen-Shannon,
normalised Wasserstein and KS (numeric) or chi-square (categorical).

The default method per column type (the ``rule`` of :class:`DriftResult`)
-----------------------------------------------------------------------
- **numeric**: binned two-sample KS test for significance; PSI as the effect
  size (floor 0.1, the textbook "moderate shift"). KS is distribution-free and
  its binned statistic is a lower bound of the exact one (never over-reports);
  PSI reads on the same scale for every feature. The Wasserstein distance
  normalised by the reference IQR is reported beside it.
- **categorical**: chi-square test of homogeneity for significance;
  Jensen-Shannon distance (base 2, in [0, 1]) as the effect (floor 0.1, about
  PSI 0.05: category mixes move less than numeric bins before it matters).
- **score**: KS on the score grid coarsened to 20 bins, PSI effect (floor 0.1).
- **prediction** (binary): chi-square on the predicted positive / negative
  counts, Jensen-Shannon effect (floor 0.1, e.g. a positive rate moving from 10%
  to about 19%).

The floor is raised by the effect expected between two samples of one
distribution (:func:`null_effect`, ``(bins - 1)(1/n_ref + 1/n_cur)`` for
PSI): binned effects are biased upward in small samples, so a small segment
must move further before it counts.

Tests are corrected with Benjamini-Hochberg across all features, segments,
score and prediction (FDR ``alpha``). A column has drifted when its adjusted
p-value is ``<= alpha`` **and** its effect is ``>=`` the floor: with a
million rows every harmless wobble is significant, so significance alone
would flag everything; with a few rows a large PSI can be noise (binned PSI
is biased upward by about ``(bins - 1) (1/n_ref + 1/n_cur)``), so the effect
alone would too.

The heat map gives the PSI of each feature in each current bucket (all
traffic); a cell is drifted when its test is significant at ``alpha`` divided
by the number of cells (Bonferroni) and its effect passes the floor.

Examples
--------
>>> DEFAULT_EFFECT_FLOOR["numeric"], DEFAULT_EFFECT_FLOOR["categorical"]
(0.1, 0.1)
>>> bin_labels([0.0, 1.5, 3.0])
['< 0', '[0, 1.5)', '[1.5, 3]', '> 3']
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelward._exceptions import ConfigError, ModelwardWarning
from modelward.analyses._frame import (
    ALL,
    FloatArray,
    Frame,
    frame,
    hist,
    numeric_edges,
    to_datetime,
)
from modelward.analyses.results import Distribution, DriftCell, DriftResult, FeatureDrift
from modelward.engine.summaries import Summaries
from modelward.stats import (
    benjamini_hochberg,
    chi_square,
    jensen_shannon,
    ks_binned,
    psi,
    wasserstein_normalised,
)

__all__ = [
    "DEFAULT_EFFECT_FLOOR",
    "RULE",
    "SCORE_DISPLAY_BINS",
    "analyse_drift",
    "bin_labels",
    "null_effect",
]

#: Effect-size floors per column kind (PSI for numeric and score, JS otherwise).
DEFAULT_EFFECT_FLOOR: dict[str, float] = {
    "numeric": 0.1,
    "categorical": 0.1,
    "score": 0.1,
    "prediction": 0.1,
}
#: Coarse score bins for the score test and its distribution plot.
SCORE_DISPLAY_BINS = 20

RULE = (
    "numeric: binned KS test + PSI effect; categorical: chi-square test + Jensen-Shannon "
    "effect; score: KS on 20 score bins + PSI; prediction: chi-square on predicted "
    "positives + Jensen-Shannon. Benjamini-Hochberg across all features and segments at "
    "FDR alpha; drifted = adjusted p <= alpha and effect >= floor ({floors}) plus the "
    "small-sample bias of the effect."
)

_CAT_EXTRA = ("__other__", "__null__", "__unseen__")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Readable labels of the ``len(edges) + 1`` numeric bins (under/overflow included)."""
    e = [_fmt(float(v)) for v in edges]
    inner = [f"[{a}, {b})" for a, b in itertools.pairwise(e[:-1])] + [f"[{e[-2]}, {e[-1]}]"]
    return [f"< {e[0]}", *inner, f"> {e[-1]}"]


@dataclass
class _Test:
    feature: str
    kind: str
    segment: str
    segment_value: str
    method: str
    statistic: float | None
    p_value: float | None
    effect: float | None
    psi: float | None
    js: float | None
    wasserstein: float | None
    ks: float | None
    chi2_p: float | None
    n_ref: int
    n_cur: int
    bins: int


def _nan_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _compare(
    ref: FloatArray, cur: FloatArray, *, kind: str, edges: FloatArray | None = None
) -> tuple[str, float, float, float, float, float, float, float, float]:
    """(method, statistic, p, effect, psi, js, wasserstein, ks, chi2_p) for two histograms."""
    nan = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelwardWarning)
        p_si = psi(ref, cur)
        js = jensen_shannon(ref, cur)
        if kind in ("numeric", "score"):
            ks = ks_binned(ref, cur)
            w = nan
            if edges is not None and edges.size >= 2 and kind == "numeric":
                w = wasserstein_normalised(ref, cur, edges, scale="iqr")
                if not math.isfinite(w):
                    w = wasserstein_normalised(ref, cur, edges, scale="std")
            return "ks+psi", ks.statistic, ks.pvalue, p_si, p_si, js, w, ks.statistic, nan
        chi = chi_square(ref, cur)
        return "chi2+js", chi.statistic, chi.pvalue, js, p_si, js, nan, nan, chi.pvalue


def _numeric_hists(nb: Frame, feature: str, size: int) -> dict[tuple[str, str, str], FloatArray]:
    out: dict[tuple[str, str, str], FloatArray] = {}
    sub = nb.eq(feature=feature)
    for (w, s, v), g in sub.groups("window", "segment", "segment_value"):
        out[(str(w), str(s), str(v))] = hist(g, "bin", size)
    return out


def _category_index(cats: list[str], values: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """Bin of each category: its index in ``cats``, then other, null, unseen."""
    order = {c: i for i, c in enumerate([*cats, *_CAT_EXTRA])}
    unseen = len(cats) + 2
    return np.fromiter((order.get(str(c), unseen) for c in values), np.int64, len(values))


def _categorical_hists(
    cat: Frame, feature: str, cats: list[str]
) -> dict[tuple[str, str, str], FloatArray]:
    out: dict[tuple[str, str, str], FloatArray] = {}
    sub = cat.eq(feature=feature)
    if len(sub) == 0:
        return out
    sub.columns["idx"] = _category_index(cats, sub["category"])
    size = len(cats) + len(_CAT_EXTRA)
    for (w, s, v), g in sub.groups("window", "segment", "segment_value"):
        out[(str(w), str(s), str(v))] = hist(g, "idx", size)
    return out


def _score_hists(
    sc: Frame, score_bins: int
) -> tuple[dict[tuple[str, str, str], FloatArray], dict[tuple[str, str, str], FloatArray]]:
    """Coarse score histograms and [negative, positive] prediction counts per key."""
    scores: dict[tuple[str, str, str], FloatArray] = {}
    preds: dict[tuple[str, str, str], FloatArray] = {}
    if len(sc) == 0:
        return scores, preds
    sc.columns["coarse"] = np.minimum(
        np.asarray(sc["score_bin"], dtype=np.int64) * SCORE_DISPLAY_BINS // score_bins,
        SCORE_DISPLAY_BINS - 1,
    )
    for (w, s, v), g in sc.groups("window", "segment", "segment_value"):
        key = (str(w), str(s), str(v))
        scores[key] = hist(g, "coarse", SCORE_DISPLAY_BINS)
        preds[key] = hist(g, "prediction", 2)
    return scores, preds


def _tests_for(
    hists: dict[tuple[str, str, str], FloatArray],
    *,
    feature: str,
    kind: str,
    edges: FloatArray | None = None,
) -> list[_Test]:
    out = []
    keys = sorted({(s, v) for (_, s, v) in hists})
    for s, v in keys:
        ref = hists.get(("reference", s, v))
        cur = hists.get(("current", s, v))
        if ref is None or cur is None or ref.sum() == 0 or cur.sum() == 0:
            continue
        method, stat, p, eff, p_si, js, w, ks, chi_p = _compare(ref, cur, kind=kind, edges=edges)
        out.append(
            _Test(
                feature=feature,
                kind=kind,
                segment=s,
                segment_value=v,
                method=method,
                statistic=_nan_none(stat),
                p_value=_nan_none(p),
                effect=_nan_none(eff),
                psi=_nan_none(p_si),
                js=_nan_none(js),
                wasserstein=_nan_none(w),
                ks=_nan_none(ks),
                chi2_p=_nan_none(chi_p),
                n_ref=int(ref.sum()),
                n_cur=int(cur.sum()),
                bins=int(np.count_nonzero(ref + cur)),
            )
        )
    return out


def null_effect(kind: str, bins: int, n_ref: float, n_cur: float) -> float:
    """Expected effect between two samples of one distribution (small-sample bias).

    PSI and 8 ln 2 JS^2 are both ~ chi^2 / n under no drift, whose mean is
    ``(bins - 1) (1/n_ref + 1/n_cur)``.

    Examples
    --------
    >>> round(null_effect("numeric", 21, 1000, 1000), 3)
    0.04
    """
    if n_ref <= 0 or n_cur <= 0:
        return float("inf")
    psi_bias = max(bins - 1, 0) * (1 / n_ref + 1 / n_cur)
    if kind in ("numeric", "score"):
        return psi_bias
    return math.sqrt(psi_bias / (8 * math.log(2)))


def _floors(effect_floor: dict[str, float] | None) -> dict[str, float]:
    floors = dict(DEFAULT_EFFECT_FLOOR)
    for k, v in (effect_floor or {}).items():
        if k not in floors:
            raise ConfigError(
                f"The 'effect_floor' parameter of analyse_drift must have keys among "
                f"{', '.join(floors)}. Got {k!r} instead."
            )
        if not (isinstance(v, int | float) and v >= 0):
            raise ConfigError(
                f"The 'effect_floor' parameter of analyse_drift must map to numbers >= 0. "
                f"Got {v!r} for {k!r} instead."
            )
        floors[k] = float(v)
    return floors


def analyse_drift(
    summaries: Summaries,
    *,
    alpha: float = 0.05,
    effect_floor: dict[str, float] | None = None,
    multivariate: bool = True,
    seed: int = 0,
) -> DriftResult:
    """Drift of every feature, the score and the prediction rate, reference vs current.

    Parameters
    ----------
    summaries
        Summaries with a reference and a current window.
    alpha
        False discovery rate of the Benjamini-Hochberg correction, in (0, 1).
    effect_floor
        Effect-size floors by kind (``numeric``, ``categorical``, ``score``,
        ``prediction``); missing keys keep :data:`DEFAULT_EFFECT_FLOOR`.
    multivariate
        Also run the domain-classifier drift on the row samples
        (:func:`modelward.analyses.multivariate.analyse_multivariate`).
    seed
        Seed of the multivariate cross-validation.

    Returns
    -------
    DriftResult
        Per-feature and score drift (all traffic and per segment), the per-bucket
        PSI heat map, reference vs current distributions and multivariate points.
    """
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ConfigError(
            f"The 'alpha' parameter of analyse_drift must be a float in (0, 1). Got {alpha!r} "
            "instead."
        )
    floors = _floors(effect_floor)
    meta = summaries.meta
    nb = frame(summaries, "numeric_bins")
    cat = frame(summaries, "categorical")
    sc = frame(summaries, "score")

    tests: list[_Test] = []
    score_tests: list[_Test] = []
    distributions: list[Distribution] = []
    kinds = {f["name"]: f["kind"] for f in meta.features}
    feature_hists: dict[str, tuple[str, FloatArray | None, list[str]]] = {}
    for name, kind in kinds.items():
        if kind == "numeric":
            edges = numeric_edges(summaries, name)
            if edges.size < 1:
                continue
            h = _numeric_hists(nb, name, edges.size + 1)
            labels = (
                bin_labels(edges.tolist())
                if edges.size >= 2
                else ["< e", "= e", "> e"][: edges.size + 1]
            )
            tests += _tests_for(h, feature=name, kind="numeric", edges=edges)
            feature_hists[name] = ("numeric", edges, labels)
        else:
            cats = list(meta.categories.get(name, []))
            h = _categorical_hists(cat, name, cats)
            labels = [*cats, *_CAT_EXTRA]
            tests += _tests_for(h, feature=name, kind="categorical")
            feature_hists[name] = ("categorical", None, labels)
        ref, cur = h.get(("reference", *ALL)), h.get(("current", *ALL))
        if ref is not None and cur is not None:
            distributions.append(_distribution(name, feature_hists[name][0], labels, ref, cur))

    if meta.task == "binary" and len(sc):
        shist, phist = _score_hists(sc, meta.score_bins)
        score_tests += _tests_for(shist, feature="score", kind="score")
        score_tests += _tests_for(phist, feature="prediction", kind="prediction")
        labels = [
            f"[{i / SCORE_DISPLAY_BINS:.2f}, {(i + 1) / SCORE_DISPLAY_BINS:.2f})"
            for i in range(SCORE_DISPLAY_BINS)
        ]
        for key, feat, kind, lab in (
            (shist, "score", "score", labels),
            (phist, "prediction", "prediction", ["0", "1"]),
        ):
            ref, cur = key.get(("reference", *ALL)), key.get(("current", *ALL))
            if ref is not None and cur is not None:
                distributions.append(_distribution(feat, kind, lab, ref, cur))

    every = tests + score_tests
    pvals = np.array([np.nan if t.p_value is None else t.p_value for t in every])
    if pvals.size:
        _, adjusted = benjamini_hochberg(pvals, alpha=alpha)
    else:
        adjusted = pvals
    results = [_result(t, adj, floors, alpha) for t, adj in zip(every, adjusted, strict=True)]
    heatmap = _heatmap(nb, cat, summaries, feature_hists, floors, alpha)
    points = []
    if multivariate:
        from modelward.analyses.multivariate import analyse_multivariate

        points = analyse_multivariate(summaries, seed=seed)
    return DriftResult(
        rule=RULE.format(floors=", ".join(f"{k} {v:g}" for k, v in floors.items())),
        alpha=float(alpha),
        features=results[: len(tests)],
        score=results[len(tests) :],
        heatmap=heatmap,
        distributions=distributions,
        multivariate=points,
    )


def _proportions(counts: FloatArray) -> list[float]:
    total = float(counts.sum())
    return [float(c / total) if total > 0 else 0.0 for c in counts]


def _distribution(
    feature: str, kind: str, labels: list[str], ref: FloatArray, cur: FloatArray
) -> Distribution:
    return Distribution(
        feature=feature,
        kind=kind,
        bins=list(labels),
        reference=_proportions(ref),
        current=_proportions(cur),
    )


def _result(t: _Test, adjusted: float, floors: dict[str, float], alpha: float) -> FeatureDrift:
    adj = _nan_none(float(adjusted))
    floor = floors[t.kind]
    noise = null_effect(t.kind, t.bins, t.n_ref, t.n_cur)
    drifted = bool(
        adj is not None and adj <= alpha and t.effect is not None and t.effect >= floor + noise
    )
    return FeatureDrift(
        feature=t.feature,
        kind=t.kind,
        segment=t.segment,
        segment_value=t.segment_value,
        method=t.method,
        statistic=t.statistic,
        p_value=t.p_value,
        p_adjusted=adj,
        effect=t.effect,
        effect_floor=floor,
        drifted=drifted,
        psi=t.psi,
        jensen_shannon=t.js,
        wasserstein=t.wasserstein,
        ks=t.ks,
        chi2_p_value=t.chi2_p,
        n_reference=t.n_ref,
        n_current=t.n_cur,
    )


def _heatmap(
    nb: Frame,
    cat: Frame,
    summaries: Summaries,
    feature_hists: dict[str, tuple[str, FloatArray | None, list[str]]],
    floors: dict[str, float],
    alpha: float,
) -> list[DriftCell]:
    """PSI of each feature in each current bucket against the merged reference (all traffic)."""
    rows: list[tuple[object, str, float, float, str]] = []
    for name, (kind, edges, labels) in feature_hists.items():
        size = len(labels)
        if kind == "numeric":
            sub = nb.eq(feature=name, segment="")
            col = "bin"
        else:
            sub = cat.eq(feature=name, segment="")
            sub.columns["idx"] = _category_index(
                list(summaries.meta.categories.get(name, [])), sub["category"]
            )
            col = "idx"
        ref = hist(sub.eq(window="reference"), col, size)
        if ref.sum() == 0:
            continue
        for (bucket,), g in sub.eq(window="current").groups("bucket"):
            cur = hist(g, col, size)
            if cur.sum() == 0:
                continue
            _, _, p, _, p_si, *_ = _compare(ref, cur, kind=kind, edges=edges)
            rows.append((bucket, name, p_si, p, kind))
    n_cells = max(len(rows), 1)
    cells = []
    for bucket, name, p_si, p, kind in rows:
        floor = floors[kind]
        effect = p_si if kind == "numeric" else None
        if kind == "categorical":
            # the heat map shows PSI for every kind; categorical cells use the PSI
            # equivalent of the JS floor (JS^2 ~ PSI / (8 ln 2)).
            effect, floor = p_si, 8 * math.log(2) * floor**2
        drifted = bool(
            math.isfinite(p)
            and p <= alpha / n_cells
            and effect is not None
            and math.isfinite(effect)
            and effect >= floor
        )
        cells.append(
            DriftCell(
                bucket=to_datetime(bucket), feature=name, psi=_nan_none(p_si), drifted=drifted
            )
        )
    return cells
