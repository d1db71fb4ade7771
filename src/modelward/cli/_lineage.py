"""``modelward lineage``: declare, query, draw, export and import the lineage graph."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.lineage.graph import LineageGraph, Reach
from modelward.lineage.openlineage import (
    event_dicts,
    export_events,
    import_events,
    post_events,
    write_jsonl,
)
from modelward.lineage.render import render_dot, render_mermaid, render_text
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["lineage_app"]

lineage_app = typer.Typer(
    help="The lineage graph: sources, datasets, features, models, deployments."
)
app.add_typer(lineage_app, name="lineage")

STORE = typer.Option(DEFAULT_STORE_PATH, "--store", help="The modelward store (DuckDB file).")
FORMATS = ("text", "json", "mermaid", "dot")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(
            f"The '--format' option must be one of {', '.join(FORMATS)}. Got {fmt!r} instead."
        )


def _echo_reach(reach: Reach, fmt: str) -> None:
    _check(fmt)
    nodes = [*reach.roots, *(n for n, _ in reach.nodes)]
    edges = list(reach.edges)
    if fmt == "json":
        typer.echo(json.dumps(reach.to_dict(), indent=2))
    elif fmt == "mermaid":
        typer.echo(render_mermaid(nodes, edges))
    elif fmt == "dot":
        typer.echo(render_dot(nodes, edges))
    else:
        for kind, ids in reach.to_dict()["by_kind"].items():
            typer.echo(f"{kind}: {', '.join(ids)}")
        if not reach.nodes:
            typer.echo(f"nothing {reach.direction}")


@lineage_app.command("add")
def add(
    upstream: str = typer.Argument(..., help="Upstream node, kind:name[@version]."),
    downstream: str = typer.Argument(..., help="Downstream node, kind:name[@version]."),
    edge: str | None = typer.Option(
        None, "--edge", help="derived-from, trained-on or serves (default: from the kinds)."
    ),
    store: Path = STORE,
) -> None:
    """Declare that DOWNSTREAM comes from UPSTREAM (e.g. dataset:train@3 model:fraud@v7)."""
    with Store(store) as opened:
        made = LineageGraph(opened).add_edge(upstream, downstream, kind=edge)
    typer.echo(f"{made.src} --{made.kind}--> {made.dst}")


@lineage_app.command("impact")
def impact(
    node: str = typer.Argument(..., help="A node; without @version, all its versions."),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="text, json, mermaid or dot."),
) -> None:
    """Everything downstream of a node: datasets, features, models, deployments."""
    with Store(store) as opened:
        _echo_reach(LineageGraph(opened).impact(node), fmt)


@lineage_app.command("trace")
def trace(
    node: str = typer.Argument(..., help="A model version (or any node)."),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="text, json, mermaid or dot."),
) -> None:
    """Everything upstream of a model version: the data and sources it came from."""
    with Store(store) as opened:
        _echo_reach(LineageGraph(opened).trace(node), fmt)


@lineage_app.command("show")
def show(
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="text (tree), json, mermaid or dot."),
) -> None:
    """The whole lineage graph as a text tree, JSON, Mermaid or DOT."""
    _check(fmt)
    with Store(store) as opened:
        graph = LineageGraph(opened)
        nodes, edges = graph.nodes(), graph.edges()
    if fmt == "mermaid":
        typer.echo(render_mermaid(nodes, edges))
    elif fmt == "dot":
        typer.echo(render_dot(nodes, edges))
    elif fmt == "json":
        out = {
            "nodes": [{"id": n.node_id, "kind": n.kind} for n in nodes],
            "edges": [{"from": e.src, "to": e.dst, "kind": e.kind} for e in edges],
        }
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(render_text(nodes, edges) if nodes else "the lineage graph is empty")


@lineage_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write JSON lines here."),
    url: str | None = typer.Option(None, "--url", help="POST to this Marquez-compatible URL."),
    endpoint: str = typer.Option("api/v1/lineage", "--endpoint", help="Path of the API."),
    store: Path = STORE,
) -> None:
    """Export the graph as OpenLineage RunEvents (JSON lines, stdout, or POST to --url)."""
    with Store(store) as opened:
        events = export_events(opened)
    if output is not None:
        n = write_jsonl(events, output)
        typer.echo(f"wrote {n} events to {output}")
    if url is not None:
        n = post_events(events, url, endpoint=endpoint)
        typer.echo(f"posted {n} events to {url}")
    if output is None and url is None:
        for event in event_dicts(events):
            typer.echo(json.dumps(event, sort_keys=True))


@lineage_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="A JSON-lines file of OpenLineage RunEvents."),
    store: Path = STORE,
) -> None:
    """Import OpenLineage RunEvents into the graph (an edge per COMPLETE input/output)."""
    with Store(store) as opened:
        result = import_events(opened, path)
    typer.echo(f"{result.events} events, {result.runs} runs, {len(result.edges)} edges")
    for line in result.skipped:
        typer.echo(f"  skipped {line}")
