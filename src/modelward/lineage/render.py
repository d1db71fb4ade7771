"""The lineage graph as a text tree, a Mermaid flowchart or a Graphviz DOT digraph.

Examples
--------
>>> from modelward.lineage.graph import Edge, Node
>>> nodes = [Node("source:crm", "source", "crm", None), Node("model:m@1", "model", "m", "1")]
>>> edges = [Edge("source:crm", "model:m@1", "trained-on")]
>>> print(render_text(nodes, edges))
source:crm
└── model:m@1  (trained-on)
>>> print(render_mermaid(nodes, edges))
flowchart LR
    n0[("source:crm")]
    n1[["model:m@1"]]
    n0 -->|trained-on| n1
"""

from __future__ import annotations

from collections.abc import Sequence

from modelward.lineage.graph import Edge, Node

__all__ = ["render_dot", "render_mermaid", "render_text"]

_MERMAID_SHAPE = {
    "source": ('[("', '")]'),
    "dataset": ('["', '"]'),
    "feature": ('("', '")'),
    "model": ('[["', '"]]'),
    "deployment": ('{{"', '"}}'),
}
_DOT_SHAPE = {
    "source": "cylinder",
    "dataset": "box",
    "feature": "ellipse",
    "model": "component",
    "deployment": "hexagon",
}


def _known(nodes: Sequence[Node], edges: Sequence[Edge]) -> list[str]:
    ids = [n.node_id for n in nodes]
    seen = set(ids)
    for e in edges:
        for ref in (e.src, e.dst):
            if ref not in seen:
                seen.add(ref)
                ids.append(ref)
    return ids


def render_text(nodes: Sequence[Node], edges: Sequence[Edge]) -> str:
    """A tree from each root (a node with no upstream); a node met again is marked ``(seen)``."""
    ids = _known(nodes, edges)
    children: dict[str, list[Edge]] = {}
    has_parent: set[str] = set()
    for e in edges:
        children.setdefault(e.src, []).append(e)
        has_parent.add(e.dst)
    roots = [i for i in ids if i not in has_parent] or ids[:1]
    lines: list[str] = []
    printed: set[str] = set()

    def walk(node: str, prefix: str, last: bool, edge: Edge | None) -> None:
        label = node if edge is None else f"{node}  ({edge.kind})"
        again = node in printed
        if edge is None:
            lines.append(label)
        else:
            lines.append(f"{prefix}{'└── ' if last else '├── '}{label}{' (seen)' if again else ''}")
        if again:
            return
        printed.add(node)
        below = children.get(node, [])
        inner = prefix if edge is None else prefix + ("    " if last else "│   ")
        for i, child in enumerate(below):
            walk(child.dst, inner, i == len(below) - 1, child)

    for root in roots:
        walk(root, "", True, None)
    for i in ids:  # nodes only on cycles
        if i not in printed:
            walk(i, "", True, None)
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(nodes: Sequence[Node], edges: Sequence[Edge]) -> str:
    """A Mermaid ``flowchart LR``: one line per node (shape by kind), one per edge."""
    ids = _known(nodes, edges)
    kinds = {n.node_id: n.kind for n in nodes}
    key = {node: f"n{i}" for i, node in enumerate(ids)}
    lines = ["flowchart LR"]
    for node in ids:
        left, right = _MERMAID_SHAPE.get(kinds.get(node, "dataset"), ('["', '"]'))
        lines.append(f"    {key[node]}{left}{_mermaid_text(node)}{right}")
    for e in edges:
        lines.append(f"    {key[e.src]} -->|{e.kind}| {key[e.dst]}")
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(nodes: Sequence[Node], edges: Sequence[Edge]) -> str:
    """A Graphviz ``digraph``: one statement per node (shape by kind), one per edge.

    Examples
    --------
    >>> from modelward.lineage.graph import Edge, Node
    >>> print(render_dot([Node("deployment:prod", "deployment", "prod", None)], []))
    digraph lineage {
        rankdir=LR;
        "deployment:prod" [label="deployment:prod", shape=hexagon];
    }
    """
    ids = _known(nodes, edges)
    kinds = {n.node_id: n.kind for n in nodes}
    lines = ["digraph lineage {", "    rankdir=LR;"]
    for node in ids:
        shape = _DOT_SHAPE.get(kinds.get(node, "dataset"), "box")
        lines.append(f"    {_dot_text(node)} [label={_dot_text(node)}, shape={shape}];")
    for e in edges:
        lines.append(f"    {_dot_text(e.src)} -> {_dot_text(e.dst)} [label={_dot_text(e.kind)}];")
    lines.append("}")
    return "\n".join(lines)
