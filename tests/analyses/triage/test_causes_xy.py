"""The prior-shift statistics: the mixture-weight z and the labels' class mix against P(score)."""

from __future__ import annotations

import numpy as np
import pytest

from modelward.analyses.triage.causes_xy import mixture_weight, mixture_z, prior_vs_concept
from modelward.analyses.triage.label_models import FeatureCube

F1 = np.array([0.05, 0.10, 0.15, 0.30, 0.40])
F0 = np.array([0.35, 0.30, 0.20, 0.10, 0.05])


def _cube(rng: np.random.Generator, pi_ref: float, pi_cur: float, n: int) -> FeatureCube:
    """Day 0 = reference (labelled), day 1 = current (unlabelled), drawn from the mixtures."""
    n1 = rng.binomial(n, pi_ref)
    pos = rng.multinomial(n1, F1).astype(float)
    neg = rng.multinomial(n - n1, F0).astype(float)
    cur = rng.multinomial(n, pi_cur * F1 + (1 - pi_cur) * F0).astype(float)
    count = np.stack([pos + neg, cur])
    lab = np.stack([pos + neg, np.zeros(5)])
    return FeatureCube("score", True, count, lab, np.stack([pos, np.zeros(5)]), np.zeros((2, 5)))


def test_mixture_z_is_standard_under_no_change() -> None:
    """With no change of class mix, z^2 averages 1 (the Fisher standard error is right)."""
    rng = np.random.default_rng(11)
    ref = np.array([True, False])
    z2 = []
    for _ in range(400):
        fc = _cube(rng, 0.3, 0.3, 3000)
        pi0, pi1 = mixture_weight(fc, ref, ref), mixture_weight(fc, ref, ~ref)
        z2.append(mixture_z(fc, ref, ~ref, pi0, pi1) ** 2)
    assert 0.75 < float(np.mean(z2)) < 1.35


def test_mixture_z_grows_with_the_shift() -> None:
    rng = np.random.default_rng(12)
    ref = np.array([True, False])
    zs = []
    for pi_cur in (0.3, 0.2, 0.1):
        fc = _cube(rng, 0.3, pi_cur, 5000)
        pi0, pi1 = mixture_weight(fc, ref, ref), mixture_weight(fc, ref, ~ref)
        zs.append(mixture_z(fc, ref, ~ref, pi0, pi1))
    assert zs[0] < 3 < zs[1] < zs[2]


@pytest.mark.parametrize("pi_cur", [0.1, 0.55])
def test_labels_class_mix_is_preferred_only_when_p_score_moved(pi_cur: float) -> None:
    """A prior shift moves P(score) to the labels' mix; a concept drift leaves it."""
    rng = np.random.default_rng(13)
    ref = np.array([True, False])
    pi0 = 0.3
    delta = np.log(pi_cur / (1 - pi_cur)) - np.log(pi0 / (1 - pi0))
    moved = _cube(rng, pi0, pi_cur, 5000)  # P(score) is the new mix
    stayed = _cube(rng, pi0, pi0, 5000)  # labels moved, P(score) did not
    assert prior_vs_concept(moved, ref, ~ref, pi0, delta) > 5
    assert prior_vs_concept(stayed, ref, ~ref, pi0, delta) < -5
