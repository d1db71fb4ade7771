"""The causes of a degradation: the public contract of DESIGN.md's triage.

One list for the simulator's faults, triage's findings and the drills' answers.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["CAUSES", "Cause"]

Cause = Literal[
    "covariate_drift",
    "prior_shift",
    "concept_drift",
    "label_noise",
    "schema_change",
    "data_gap",
    "label_delay",
    "latency_regression",
    "none",
]

#: Every cause, in contract order (``none``: a healthy system).
CAUSES: tuple[str, ...] = get_args(Cause)
