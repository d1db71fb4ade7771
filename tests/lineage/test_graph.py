"""Impact and trace on a branching graph, and the renderings."""

from __future__ import annotations

import re

import pytest

from modelward._exceptions import ConfigError
from modelward.lineage import LineageGraph, render_dot, render_mermaid, render_text
from modelward.store import Store

# source -> raw -> (clean, sample) -> joined  (a diamond), two models, deployments
EDGES = [
    ("source:events", "dataset:raw@1"),
    ("dataset:raw@1", "dataset:clean@1"),
    ("dataset:raw@1", "dataset:sample@1"),
    ("dataset:clean@1", "dataset:joined@1"),
    ("dataset:sample@1", "dataset:joined@1"),
    ("source:crm", "dataset:customers@1"),
    ("dataset:joined@1", "model:fraud@v1"),
    ("dataset:customers@1", "model:churn@v3"),
    ("dataset:clean@1", "model:churn@v3"),
    ("model:fraud@v1", "deployment:prod"),
    ("model:fraud@v1", "deployment:shadow"),
    ("model:churn@v3", "deployment:crm-app"),
]


@pytest.fixture
def graph(store: Store) -> LineageGraph:
    g = LineageGraph(store)
    for a, b in EDGES:
        g.add_edge(a, b)
    return g


def test_impact_of_a_branching_graph(graph: LineageGraph) -> None:
    reach = graph.impact("dataset:raw@1")
    assert set(reach.of_kind("dataset")) == {
        "dataset:clean@1",
        "dataset:sample@1",
        "dataset:joined@1",
    }
    assert set(reach.of_kind("model")) == {"model:fraud@v1", "model:churn@v3"}
    assert set(reach.of_kind("deployment")) == {
        "deployment:prod",
        "deployment:shadow",
        "deployment:crm-app",
    }
    distances = {n.node_id: d for n, d in reach.nodes}
    assert distances["dataset:joined@1"] == 2
    assert distances["model:churn@v3"] == 2
    assert distances["deployment:prod"] == 4
    # the diamond reaches joined once
    assert [n.node_id for n, _ in reach.nodes].count("dataset:joined@1") == 1
    only_crm = graph.impact("source:crm")
    assert only_crm.of_kind("model") == ["model:churn@v3"]
    assert only_crm.of_kind("deployment") == ["deployment:crm-app"]
    assert graph.impact("deployment:prod").nodes == ()


def test_trace_of_a_model(graph: LineageGraph) -> None:
    reach = graph.trace("model:churn@v3")
    assert set(reach.of_kind("source")) == {"source:events", "source:crm"}
    assert set(reach.of_kind("dataset")) == {
        "dataset:customers@1",
        "dataset:clean@1",
        "dataset:raw@1",
    }
    assert "dataset:sample@1" not in reach.of_kind("dataset")
    fraud = graph.trace("model:fraud")  # no version: every version
    assert len(fraud.of_kind("dataset")) == 4


def test_edge_rules_and_unknown_nodes(graph: LineageGraph) -> None:
    with pytest.raises(ConfigError, match="cannot flow from a deployment"):
        graph.add_edge("deployment:prod", "dataset:raw@2")
    with pytest.raises(ConfigError, match="'trained-on', not 'serves'"):
        graph.add_edge("dataset:raw@1", "model:x@1", kind="serves")
    with pytest.raises(ConfigError, match="Close: model:fraud@v1"):
        graph.impact("model:fraud@v2")
    assert {e.kind for e in graph.edges()} == {"derived-from", "trained-on", "serves"}


def test_renderings_are_parse_shaped(graph: LineageGraph) -> None:
    nodes, edges = graph.nodes(), graph.edges()
    mermaid = render_mermaid(nodes, edges).splitlines()
    assert mermaid[0] == "flowchart LR"
    node_lines = [line for line in mermaid[1:] if "-->" not in line]
    edge_lines = [line for line in mermaid[1:] if "-->" in line]
    assert len(node_lines) == len(nodes)
    assert len(edge_lines) == len(EDGES)
    assert all(re.fullmatch(r"    n\d+\S*\"[^\"]+\"\S*", line) for line in node_lines)
    assert all(re.fullmatch(r"    n\d+ -->\|[a-z-]+\| n\d+", line) for line in edge_lines)
    dot = render_dot(nodes, edges).splitlines()
    assert dot[0] == "digraph lineage {"
    assert dot[-1] == "}"
    dot_edges = [line for line in dot if " -> " in line]
    assert len(dot_edges) == len(EDGES)
    assert all(re.fullmatch(r'    "[^"]+" -> "[^"]+" \[label="[a-z-]+"\];', ln) for ln in dot_edges)
    assert sum(1 for line in dot if "shape=" in line) == len(nodes)
    text = render_text(nodes, edges)
    assert text.splitlines()[0] in {"source:crm", "source:events"}
    assert "dataset:joined@1  (derived-from) (seen)" in text  # the diamond's second arrival
