"""A concept drift in one region of one feature inside one segment value."""

from __future__ import annotations

import numpy as np
import pytest

from modelward._api import summarise
from modelward.analyses.triage.causes_xy import feature_cubes
from modelward.analyses.triage.context import Context
from modelward.analyses.triage.evidence import Z_HALF
from modelward.analyses.triage.segment_concept import segment_region_change
from modelward.io.events import parse_event_time
from modelward.simulate import simulate


def _ctx(**kw: object) -> tuple[dict[str, object], Context]:
    sim = simulate(days=36, rows_per_day=1200, **kw)  # type: ignore[arg-type]
    s = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
    as_of = parse_event_time(str(sim.truth["as_of"])).replace(tzinfo=None)
    return sim.truth, Context.build(s, np.datetime64(as_of, "us"))


@pytest.mark.parametrize(
    ("domain", "segment", "seed"),
    [("loan_default", "channel=online", 5), ("churn", "country=US", 6)],
)
def test_finds_the_segment_and_the_feature(domain: str, segment: str, seed: int) -> None:
    truth, ctx = _ctx(
        domain=domain, fault="concept_drift", segment=segment, magnitude=0.6, seed=seed
    )
    c = segment_region_change(ctx, feature_cubes(ctx))
    assert c is not None
    assert c.segment == truth["segment"]
    assert c.features[0] in truth["features"]  # type: ignore[operator]
    assert c.z >= Z_HALF


@pytest.mark.parametrize("seed", [21, 22])
def test_healthy_system_has_no_strong_segment_region(seed: int) -> None:
    _, ctx = _ctx(domain="churn", fault="none", seed=seed)
    c = segment_region_change(ctx, feature_cubes(ctx))
    assert c is None or c.z < Z_HALF
