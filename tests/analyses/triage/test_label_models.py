"""Label models: the label-arrival tilt and the gain of a region found elsewhere."""

from __future__ import annotations

import dataclasses

import numpy as np

from modelward.analyses.triage.label_models import (
    FeatureCube,
    expected_positives,
    fit_labels,
    region_gain,
)


def _young_bucket_cube(share_neg: float) -> FeatureCube:
    """Reference day fully labelled; current day with every positive but only a share of
    negatives labelled (negatives' labels arrive later), the world itself unchanged."""
    rate = np.array([0.05, 0.1, 0.2, 0.4, 0.6])
    n = np.full(5, 4000.0)
    pos = n * rate
    neg = n - pos
    lab = np.stack([n, pos + share_neg * neg])
    return FeatureCube("score", True, np.stack([n, n]), lab, np.stack([pos, pos]), np.zeros((2, 5)))


def test_label_arrival_tilt_removes_the_class_selection_of_a_young_bucket() -> None:
    ref = np.array([True, False])
    share = 0.4
    raw = _young_bucket_cube(share)
    tilted = dataclasses.replace(raw, offset=np.array([0.0, np.log(1.0 / share)]))
    f_raw = fit_labels(raw, ref, ~ref, regions=False)
    f_tilt = fit_labels(tilted, ref, ~ref, regions=False)
    assert f_raw is not None
    assert f_tilt is not None
    assert f_raw.shift > 100  # without the tilt the young bucket reads as a base-rate rise
    assert f_tilt.d0 < 0.01  # the tilted reference calibration fits it (up to smoothing)
    # the tilted expectation is exactly the positives a class-selected sample holds
    np.testing.assert_allclose(expected_positives(tilted, ref)[1], raw.pos[1], rtol=5e-3)


def test_expected_positives_without_tilt_is_the_reference_rate() -> None:
    raw = _young_bucket_cube(1.0)
    ref = np.array([True, False])
    np.testing.assert_allclose(
        expected_positives(raw, ref)[1], raw.lab[1] * (raw.pos[0] + 0.5) / (raw.lab[0] + 1.0)
    )


def test_region_gain_sees_only_its_own_region() -> None:
    n = np.full((2, 4), 1000.0)
    pos = np.array([[100.0, 100.0, 100.0, 100.0], [100.0, 100.0, 100.0, 180.0]])
    fc = FeatureCube("x", True, n, n, pos, np.zeros((2, 4)))
    ref = np.array([True, False])
    assert region_gain(fc, ref, ~ref, [3]) > 25
    assert region_gain(fc, ref, ~ref, [0]) < 1.0
