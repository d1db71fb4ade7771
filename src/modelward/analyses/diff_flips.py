"""Label-free changes between two model versions: prediction flips and the score shift.

Flips are counted from a paired cube (shapes in :mod:`modelward.analyses.diff`)
overall and per band of the baseline score; the score shift compares the two
versions' score histograms on :data:`BANDS` equal-width bands (PSI) and on the
fine bins (binned KS).

Examples
--------
>>> _band_label(0.9, 1.0), _band_label(0.1, 0.2)
('[0.9, 1.0]', '[0.1, 0.2)')
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelward.analyses.diff_results import FlipBand, FlipRate, ScoreShift, _f, _interval
from modelward.stats import ks_binned, psi, wilson_interval

__all__ = ["BANDS"]

FloatArray = npt.NDArray[np.float64]

#: Score bands of the flip table and of the PSI.
BANDS = 10


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
