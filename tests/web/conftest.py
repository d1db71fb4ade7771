"""A store with two systems, checks, a forecast, costs, triage, alerts and lineage."""

from __future__ import annotations

from pathlib import Path

import pytest

import modelward
from modelward._api import save_check, summarise
from modelward.analyses.check import run_check
from modelward.analyses.costs import evaluate_costs
from modelward.analyses.forecast import forecast_policy
from modelward.analyses.metrics import CostModel
from modelward.analyses.policy import parse_policy
from modelward.analyses.triage import run_triage
from modelward.lineage.graph import LineageGraph
from modelward.store import Alert, Store

POLICY = """constraints:
  - metric: recall
    min: 0.3
  - metric: latency_p99
    max: 400
  - metric: precision
    min: 0.05
    for_each: channel
"""


def build_store(path: Path) -> Path:
    """Fill a store the way the CLI does (two systems, one with a fault)."""
    with Store(path) as store:
        for system, fault, seed in (("fraud", "covariate_drift", 1), ("churn", "none", 2)):
            domain = "fraud" if system == "fraud" else "churn"
            sim = modelward.simulate(
                domain=domain, fault=fault, magnitude=0.7, days=21, rows_per_day=250, seed=seed
            )
            s = summarise(sim.log, reference_end=str(sim.truth["reference_end"]))
            for _ in range(2):  # two checks, for the runs diff
                result = run_check(s)
                save_check(store, system=system, result=result, summaries=s, parameters={})
            fc = forecast_policy(result, parse_policy(POLICY), summaries=s, draws=100)
            store.save_run(
                system=system,
                kind="forecast",
                source=result.source,
                parameters={},
                meta={},
                results=fc.model_dump(mode="json"),
                tables={},
            )
            if domain == "fraud":
                costs = evaluate_costs(s, CostModel(fp=5, fn=100))
                store.save_run(
                    system=system,
                    kind="costs",
                    source=result.source,
                    parameters={},
                    meta={},
                    results=costs.model_dump(mode="json"),
                    tables={},
                )
                tri = run_triage(s)
                store.save_run(
                    system=system,
                    kind="triage",
                    source=result.source,
                    parameters={},
                    meta={},
                    results=tri.model_dump(mode="json"),
                    tables={},
                    status="alert",
                    alerts=[
                        Alert(
                            name="p99_latency <= 400ms",
                            severity="critical",
                            detail={"message": "fired <script>x</script>"},
                        )
                    ],
                )
        graph = LineageGraph(store)
        graph.add_edge("source:payments", "dataset:tx@1")
        graph.add_edge("dataset:tx@1", "model:fraud@3")
        graph.add_edge("model:fraud@3", "deployment:prod")
    return path


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("web") / "store.duckdb")
