"""Drill scenarios: which incident to simulate, replayable from a seed, weak areas weighted up.

A scenario is fully determined by ``(seed, cause, domain)``:
:func:`scenario_from_seed` draws whatever is not given (cause, domain,
magnitude, onset, segment, ramp) from ``numpy.random.default_rng(seed)``. The
weighted picker (:func:`pick_scenario`) only chooses the cause from the
learner's history and then calls it, so ``modelward drill --seed S --cause C
--domain D`` replays any drill exactly.

Examples
--------
>>> s = scenario_from_seed(11, cause="data_gap", domain="fraud")
>>> s.cause, s.segment is not None, s == scenario_from_seed(11, cause="data_gap", domain="fraud")
('data_gap', True, True)
>>> w = cause_weights({"label_noise": [0.2, 0.3], "prior_shift": [1.0]})
>>> w["label_noise"] > w["covariate_drift"] > w["prior_shift"]
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from modelward._exceptions import ConfigError
from modelward.drills.catalogue import CAUSES
from modelward.simulate import DOMAINS
from modelward.simulate._domains import Cat

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_ROWS_PER_DAY",
    "MIN_DAYS",
    "Scenario",
    "cause_weights",
    "pick_scenario",
    "scenario_from_seed",
]

DEFAULT_DAYS = 28
DEFAULT_ROWS_PER_DAY = 800
#: Shortest simulated log: a reference third, 3 healthy days, and 8 days after the onset.
MIN_DAYS = 16
#: Causes whose injector can be limited to one segment (the others act on all traffic).
_SEGMENTABLE = frozenset(
    {"covariate_drift", "concept_drift", "label_noise", "schema_change", "latency_regression"}
)
#: Probability that a segmentable cause is confined to one segment.
_SEGMENT_PROB = 0.35
#: A healthy system is drilled, but rarely.
_NONE_WEIGHT = 0.25
#: Mean score assumed for a cause never practised (weights it above an average one).
_UNSEEN_SCORE = 0.4


@dataclass(frozen=True)
class Scenario:
    """One practice incident: what to simulate (the truth comes from the simulator)."""

    seed: int
    domain: str
    cause: str
    magnitude: float
    segment: str | None
    gradual_days: float
    onset_day: int
    days: int = DEFAULT_DAYS
    rows_per_day: int = DEFAULT_ROWS_PER_DAY

    def as_dict(self) -> dict[str, object]:
        """The scenario as plain JSON-able values."""
        return asdict(self)

    @property
    def replay(self) -> str:
        """The command that replays this drill."""
        return f"modelward drill --seed {self.seed} --cause {self.cause} --domain {self.domain}"


def _segment_value(domain: str, column: str, rng: np.random.Generator) -> str:
    """A value of ``column`` drawn by its share, among values with at least 10 % of traffic."""
    feats = DOMAINS[domain].sample(np.random.default_rng(int(rng.integers(2**31))), 4000)
    cat = feats[column]
    assert isinstance(cat, Cat)
    codes = np.asarray(cat.codes)
    cats = list(cat.categories)
    shares = np.bincount(codes, minlength=len(cats)) / codes.size
    ok = np.flatnonzero(shares >= 0.10)
    p = shares[ok] / shares[ok].sum()
    return cats[int(ok[int(rng.choice(ok.size, p=p))])]


def scenario_from_seed(
    seed: int,
    *,
    cause: str | None = None,
    domain: str | None = None,
    days: int = DEFAULT_DAYS,
    rows_per_day: int = DEFAULT_ROWS_PER_DAY,
) -> Scenario:
    """The scenario of ``seed``: everything not given is drawn from the seed.

    Raises
    ------
    ConfigError
        On an unknown cause or domain.
    """
    if cause is not None and cause not in CAUSES:
        raise ConfigError(f"Unknown cause {cause!r}. Causes: {', '.join(CAUSES)}.")
    if domain is not None and domain not in DOMAINS:
        raise ConfigError(f"Unknown domain {domain!r}. Domains: {', '.join(sorted(DOMAINS))}.")
    rng = np.random.default_rng([seed, 8])
    weights = np.array([_NONE_WEIGHT if c == "none" else 1.0 for c in CAUSES])
    drawn_cause = CAUSES[int(rng.choice(len(CAUSES), p=weights / weights.sum()))]
    doms = sorted(DOMAINS)
    drawn_domain = doms[int(rng.integers(len(doms)))]
    cause = cause or drawn_cause
    domain = domain or drawn_domain
    if not isinstance(days, int) or days < MIN_DAYS:
        raise ConfigError(
            f"The 'days' parameter must be an int >= {MIN_DAYS}. Got {days!r} instead."
        )
    magnitude = round(float(rng.uniform(0.45, 0.9)), 2)
    # at least 3 healthy current days before the onset (a constraint that always fails then
    # fires before it) and at least 8 after (time to catch it)
    first = max(1, days // 3) + 3
    onset_day = int(rng.integers(first, max(first, days - 8) + 1))
    gradual = float(rng.choice([0.0, 0.0, 0.0, 2.0, 4.0]))
    segment: str | None = None
    confine = rng.random() < _SEGMENT_PROB
    if cause == "data_gap" or (cause in _SEGMENTABLE and confine):
        column = DOMAINS[domain].segments[int(rng.integers(len(DOMAINS[domain].segments)))]
        segment = f"{column}={_segment_value(domain, column, rng)}"
    if cause in ("none", "schema_change", "data_gap"):
        gradual = 0.0  # a pipeline break or a lost feed is a step, not a ramp
    if cause == "none":
        magnitude = 0.5  # ignored by the simulator
    return Scenario(
        seed=int(seed),
        domain=domain,
        cause=cause,
        magnitude=magnitude,
        segment=segment,
        gradual_days=gradual,
        onset_day=onset_day,
        days=days,
        rows_per_day=rows_per_day,
    )


def cause_weights(history: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Weight of each cause for the next drill: ``1 + 2 (1 - mean score)``, weak areas up.

    ``history`` maps a cause to the learner's total scores (0..1) on it; a cause
    never practised counts as a mean of 0.4. ``none`` is down-weighted by 4.
    """
    out: dict[str, float] = {}
    for c in CAUSES:
        scores = list(history.get(c, ()))
        mean = float(np.mean(scores)) if scores else _UNSEEN_SCORE
        w = 1.0 + 2.0 * (1.0 - min(max(mean, 0.0), 1.0))
        out[c] = w * (_NONE_WEIGHT if c == "none" else 1.0)
    return out


def pick_scenario(
    *,
    seed: int | None = None,
    cause: str | None = None,
    domain: str | None = None,
    history: Mapping[str, Sequence[float]] | None = None,
    days: int = DEFAULT_DAYS,
    rows_per_day: int = DEFAULT_ROWS_PER_DAY,
) -> Scenario:
    """Choose the next drill.

    With ``seed`` the scenario is :func:`scenario_from_seed` (a replay). Without
    it a fresh seed is drawn and, unless ``cause`` is given, the cause is drawn
    with :func:`cause_weights` of ``history``.
    """
    if seed is not None:
        return scenario_from_seed(
            seed, cause=cause, domain=domain, days=days, rows_per_day=rows_per_day
        )
    fresh = int(np.random.SeedSequence().generate_state(1)[0] % 1_000_000)
    if cause is None and history is not None:
        w = cause_weights(history)
        p = np.array([w[c] for c in CAUSES])
        rng = np.random.default_rng(fresh)
        cause = CAUSES[int(rng.choice(len(CAUSES), p=p / p.sum()))]
    return scenario_from_seed(
        fresh, cause=cause, domain=domain, days=days, rows_per_day=rows_per_day
    )
