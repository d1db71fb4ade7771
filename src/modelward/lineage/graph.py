"""The lineage graph: sources, dataset versions, features, model versions, deployments.

Nodes are named ``kind:name`` or ``kind:name@version`` (``source:s3://bucket/tx``,
``dataset:transactions@3``, ``model:fraud@v7``, ``deployment:prod``). Edges go
from upstream to downstream and have a kind: ``derived-from`` (a dataset or
feature made from a source or another dataset), ``trained-on`` (a model from
the data it was trained on) and ``serves`` (a deployment from the model it
serves). The kind follows from the two node kinds unless given.

:meth:`LineageGraph.impact` answers "what is hurt if this is corrupted?"
(everything downstream), :meth:`LineageGraph.trace` "which data trained this
model?" (everything upstream).

Examples
--------
>>> import tempfile, pathlib
>>> from modelward.store import Store
>>> with Store(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb") as store:
...     g = LineageGraph(store)
...     _ = g.add_edge("source:crm", "dataset:customers@1")
...     _ = g.add_edge("dataset:customers@1", "model:churn@v2")
...     _ = g.add_edge("model:churn@v2", "deployment:prod")
...     [n.node_id for n, _ in g.impact("source:crm").nodes]
['dataset:customers@1', 'model:churn@v2', 'deployment:prod']
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelward._exceptions import ConfigError
from modelward.lineage._store import connection, decode, encode, now_utc, transaction
from modelward.store import Store

__all__ = [
    "EDGE_KINDS",
    "NODE_KINDS",
    "Edge",
    "LineageGraph",
    "Node",
    "Reach",
    "edge_kind_for",
    "format_node_id",
    "parse_node_id",
]

NODE_KINDS = ("source", "dataset", "feature", "model", "deployment")
"""The kinds of node, upstream first."""

EDGE_KINDS = ("derived-from", "trained-on", "serves")
"""The kinds of edge."""

_VERSIONED = frozenset({"dataset", "feature", "model"})

_ALLOWED: dict[tuple[str, str], str] = {
    ("source", "source"): "derived-from",
    ("source", "dataset"): "derived-from",
    ("source", "feature"): "derived-from",
    ("dataset", "dataset"): "derived-from",
    ("dataset", "feature"): "derived-from",
    ("feature", "feature"): "derived-from",
    ("feature", "dataset"): "derived-from",
    ("dataset", "model"): "trained-on",
    ("feature", "model"): "trained-on",
    ("source", "model"): "trained-on",
    ("model", "model"): "derived-from",
    ("model", "dataset"): "derived-from",
    ("model", "deployment"): "serves",
}


def format_node_id(kind: str, name: str, version: str | int | None = None) -> str:
    """The id of a node.

    Examples
    --------
    >>> format_node_id("dataset", "train", 3), format_node_id("deployment", "prod")
    ('dataset:train@3', 'deployment:prod')
    """
    if kind not in NODE_KINDS:
        raise ConfigError(f"Unknown node kind {kind!r}. Node kinds: {', '.join(NODE_KINDS)}.")
    if not name:
        raise ConfigError(f"A {kind} node needs a non-empty name.")
    if version is None or version == "":
        return f"{kind}:{name}"
    return f"{kind}:{name}@{version}"


def parse_node_id(ref: str) -> tuple[str, str, str | None]:
    """``(kind, name, version)`` of a node id (version only for datasets, features, models).

    Examples
    --------
    >>> parse_node_id("model:fraud@v7")
    ('model', 'fraud', 'v7')
    >>> parse_node_id("source:s3://bucket/tx@2026")
    ('source', 's3://bucket/tx@2026', None)
    """
    kind, sep, rest = ref.strip().partition(":")
    if not sep or kind not in NODE_KINDS or not rest:
        raise ConfigError(
            f"Cannot read node {ref!r}: write kind:name or kind:name@version with kind one of "
            f"{', '.join(NODE_KINDS)} (e.g. dataset:train@3, model:fraud@v7)."
        )
    if kind in _VERSIONED and "@" in rest:
        name, _, version = rest.rpartition("@")
        if name and version:
            return kind, name, version
    return kind, rest, None


def edge_kind_for(src_kind: str, dst_kind: str) -> str:
    """The kind of an edge from a ``src_kind`` node to a ``dst_kind`` node.

    Raises
    ------
    ConfigError
        If lineage cannot flow that way (e.g. from a deployment to a dataset).

    Examples
    --------
    >>> edge_kind_for("dataset", "model"), edge_kind_for("model", "deployment")
    ('trained-on', 'serves')
    """
    kind = _ALLOWED.get((src_kind, dst_kind))
    if kind is None:
        allowed = ", ".join(f"{a}->{b}" for a, b in _ALLOWED)
        raise ConfigError(
            f"Lineage cannot flow from a {src_kind} to a {dst_kind}. Allowed: {allowed}."
        )
    return kind


@dataclass(frozen=True)
class Node:
    """A node of the lineage graph."""

    node_id: str
    kind: str
    name: str
    version: str | None
    attrs: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Edge:
    """An edge from upstream ``src`` to downstream ``dst``."""

    src: str
    dst: str
    kind: str
    attrs: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Reach:
    """What an impact or trace query reached.

    Attributes
    ----------
    roots
        The nodes the query started from.
    direction
        ``"downstream"`` (impact) or ``"upstream"`` (trace).
    nodes
        ``(node, distance)`` for every node reached (roots excluded), by distance,
        then kind order, then id.
    edges
        The edges walked.
    """

    roots: tuple[Node, ...]
    direction: Literal["downstream", "upstream"]
    nodes: tuple[tuple[Node, int], ...]
    edges: tuple[Edge, ...]

    def of_kind(self, kind: str) -> list[str]:
        """Ids of the reached nodes of one kind."""
        return [n.node_id for n, _ in self.nodes if n.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "roots": [r.node_id for r in self.roots],
            "direction": self.direction,
            "nodes": [{"id": n.node_id, "kind": n.kind, "distance": d} for n, d in self.nodes],
            "edges": [{"from": e.src, "to": e.dst, "kind": e.kind} for e in self.edges],
            "by_kind": {k: self.of_kind(k) for k in NODE_KINDS if self.of_kind(k)},
        }


class LineageGraph:
    """The lineage graph kept in a store.

    Parameters
    ----------
    store
        An open :class:`~modelward.store.Store`.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- writing -------------------------------------------------------------

    def add_node(
        self,
        kind: str,
        name: str,
        *,
        version: str | int | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Node:
        """Add a node, or merge ``attrs`` into the node already there; return it."""
        node_id = format_node_id(kind, name, version)
        version_text = None if version is None or version == "" else str(version)

        def write(con: Any) -> None:
            self.upsert_node(con, node_id, kind, name, version_text, attrs or {})

        transaction(self.store, write, what=f"add lineage node {node_id}")
        return self.node(node_id)

    def add_edge(
        self,
        src: str,
        dst: str,
        *,
        kind: str | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Edge:
        """Add an edge from ``src`` to ``dst`` (node ids; missing nodes are created).

        Raises
        ------
        ConfigError
            On a malformed node id, an edge kind lineage cannot have, or a self-loop.
        """
        edge = self.prepare_edge(src, dst, kind=kind, attrs=attrs)

        def write(con: Any) -> None:
            self.write_edge(con, edge)

        transaction(self.store, write, what=f"add lineage edge {src} -> {dst}")
        return edge

    @staticmethod
    def prepare_edge(
        src: str, dst: str, *, kind: str | None = None, attrs: Mapping[str, Any] | None = None
    ) -> Edge:
        """Check an edge before writing it (see :meth:`add_edge`)."""
        s_kind, _, _ = parse_node_id(src)
        d_kind, _, _ = parse_node_id(dst)
        src, dst = src.strip(), dst.strip()
        if src == dst:
            raise ConfigError(f"A node cannot be its own upstream: {src}")
        expected = edge_kind_for(s_kind, d_kind)
        if kind is not None and kind != expected:
            if kind not in EDGE_KINDS:
                raise ConfigError(
                    f"Unknown edge kind {kind!r}. Edge kinds: {', '.join(EDGE_KINDS)}."
                )
            raise ConfigError(
                f"An edge from a {s_kind} to a {d_kind} is {expected!r}, not {kind!r}."
            )
        return Edge(src, dst, expected, dict(attrs or {}))

    def write_edge(self, con: Any, edge: Edge) -> None:
        """Write a checked edge and any missing end node, inside an open transaction."""
        for ref in (edge.src, edge.dst):
            k, n, v = parse_node_id(ref)
            self.upsert_node(con, ref, k, n, v, {})
        con.execute(
            "INSERT INTO lineage_edges VALUES (?, ?, ?, ?, ?) ON CONFLICT (src, dst) "
            "DO UPDATE SET attrs = json_merge_patch(lineage_edges.attrs, excluded.attrs)",
            [edge.src, edge.dst, edge.kind, encode(dict(edge.attrs)), now_utc()],
        )

    @staticmethod
    def upsert_node(
        con: Any,
        node_id: str,
        kind: str,
        name: str,
        version: str | None,
        attrs: Mapping[str, Any],
    ) -> None:
        con.execute(
            "INSERT INTO lineage_nodes VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (node_id) "
            "DO UPDATE SET attrs = json_merge_patch(lineage_nodes.attrs, excluded.attrs)",
            [node_id, kind, name, version, encode(dict(attrs)), now_utc()],
        )

    # -- reading -------------------------------------------------------------

    def nodes(self) -> list[Node]:
        """Every node, in kind order then id."""
        rows = (
            connection(self.store)
            .execute(
                "SELECT node_id, kind, name, version, attrs FROM lineage_nodes ORDER BY node_id"
            )
            .fetchall()
        )
        nodes = [Node(r[0], r[1], r[2], r[3], decode(r[4]) or {}) for r in rows]
        return sorted(nodes, key=_node_order)

    def edges(self) -> list[Edge]:
        """Every edge, by source then destination."""
        rows = (
            connection(self.store)
            .execute("SELECT src, dst, kind, attrs FROM lineage_edges ORDER BY src, dst")
            .fetchall()
        )
        return [Edge(r[0], r[1], r[2], decode(r[3]) or {}) for r in rows]

    def node(self, ref: str) -> Node:
        """The node with id ``ref``.

        Raises
        ------
        ConfigError
            If there is none (close ids are suggested).
        """
        found = self.resolve(ref)
        if len(found) != 1:
            ids = ", ".join(n.node_id for n in found[:5])
            raise ConfigError(f"Node {ref!r} is ambiguous: it names {ids}. Give the version.")
        return found[0]

    def resolve(self, ref: str) -> list[Node]:
        """The node ``ref``, or every version of it when ``ref`` has no version.

        Raises
        ------
        ConfigError
            If nothing matches (close ids are suggested).
        """
        kind, name, version = parse_node_id(ref)
        every = self.nodes()
        exact = [n for n in every if n.node_id == ref.strip()]
        if exact:
            return exact
        if version is None:
            versions = [n for n in every if n.kind == kind and n.name == name]
            if versions:
                return versions
        ids = [n.node_id for n in every]
        close = difflib.get_close_matches(ref.strip(), ids, n=3, cutoff=0.5)
        hint = (
            f" Close: {', '.join(close)}." if close else (" The graph is empty." if not ids else "")
        )
        raise ConfigError(f"No lineage node {ref!r}.{hint}")

    def impact(self, ref: str) -> Reach:
        """Everything downstream of ``ref`` (all its versions if it has none)."""
        return self._walk(ref, "downstream")

    def trace(self, ref: str) -> Reach:
        """Everything upstream of ``ref`` (all its versions if it has none)."""
        return self._walk(ref, "upstream")

    def _walk(self, ref: str, direction: Literal["downstream", "upstream"]) -> Reach:
        roots = self.resolve(ref)
        by_id = {n.node_id: n for n in self.nodes()}
        step: dict[str, list[Edge]] = {}
        for e in self.edges():
            key = e.src if direction == "downstream" else e.dst
            step.setdefault(key, []).append(e)
        distance = {r.node_id: 0 for r in roots}
        walked: list[Edge] = []
        queue = deque(r.node_id for r in roots)
        while queue:
            here = queue.popleft()
            for e in step.get(here, ()):
                walked.append(e)
                there = e.dst if direction == "downstream" else e.src
                if there not in distance:
                    distance[there] = distance[here] + 1
                    queue.append(there)
        reached = [(by_id[i], d) for i, d in distance.items() if d > 0 and i in by_id]
        reached.sort(key=lambda nd: (nd[1], *_node_order(nd[0])))
        return Reach(tuple(roots), direction, tuple(reached), tuple(_unique(walked)))


def _node_order(node: Node) -> tuple[int, str]:
    return NODE_KINDS.index(node.kind) if node.kind in NODE_KINDS else 99, node.node_id


def _unique(edges: Iterable[Edge]) -> list[Edge]:
    seen: set[tuple[str, str]] = set()
    out: list[Edge] = []
    for e in edges:
        if (e.src, e.dst) not in seen:
            seen.add((e.src, e.dst))
            out.append(e)
    return out
