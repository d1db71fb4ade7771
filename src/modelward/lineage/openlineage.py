"""OpenLineage RunEvents out of the lineage graph, and back in.

Export: every node with upstream nodes is the output of one run (START then
COMPLETE) whose inputs are its upstream nodes: ``derive`` runs for datasets and
features, ``train`` runs for models (datasets as inputs, the model as output),
``deploy`` runs for deployments; every dataset version also gets a ``profile``
run reading it, whose input carries the ``dataQualityMetrics`` facet (row
count, null counts, min and max per column). Datasets carry the ``version``
(content hash), ``schema`` and ``dataSource`` facets. Nodes are OpenLineage
datasets in the ``modelward`` namespace named by their node id. The events are
built with the ``openlineage-python`` client's classes; run ids are UUID 5 of
the job name, so exporting twice gives the same runs.

Import: a JSON-lines file of RunEvents (ours or any producer's) adds an edge
from each input to each output of every COMPLETE event; foreign datasets
become ``dataset:NAMESPACE/NAME@VERSION`` nodes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.data_quality_metrics_input_dataset import (
    ColumnMetrics,
    DataQualityMetricsInputDatasetFacet,
)
from openlineage.client.generated.dataset_version_dataset import DatasetVersionDatasetFacet
from openlineage.client.generated.datasource_dataset import DatasourceDatasetFacet
from openlineage.client.generated.job_type_job import JobTypeJobFacet
from openlineage.client.generated.schema_dataset import (
    SchemaDatasetFacet,
    SchemaDatasetFacetFields,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.http import HttpConfig, HttpTransport

from modelward._exceptions import ConfigError, StoreError
from modelward.lineage._store import connection, transaction
from modelward.lineage.graph import Edge, LineageGraph, Node, format_node_id, parse_node_id
from modelward.store import Store

__all__ = [
    "NAMESPACE",
    "PRODUCER",
    "ImportResult",
    "event_dicts",
    "export_events",
    "import_events",
    "post_events",
    "write_jsonl",
]

NAMESPACE = "modelward"
"""The OpenLineage namespace of modelward's datasets and jobs."""

PRODUCER = "https://github.com/modelward/modelward"
"""The ``producer`` URI of exported events and facets."""

_JOB_OF_KIND = {
    "dataset": "derive",
    "feature": "derive",
    "model": "train",
    "deployment": "deploy",
    "source": "derive",
}


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    return str(moment)


def _dataset_facets(node: Node) -> dict[str, Any]:
    attrs = node.attrs
    facets: dict[str, Any] = {}
    version = attrs.get("hash") or node.version
    if version:
        facets["version"] = DatasetVersionDatasetFacet(
            datasetVersion=str(version), producer=PRODUCER
        )
    schema = attrs.get("schema") or {}
    if schema:
        facets["schema"] = SchemaDatasetFacet(
            fields=[
                SchemaDatasetFacetFields(name=str(c), type=str(t), ordinal_position=i)
                for i, (c, t) in enumerate(schema.items(), start=1)
            ],
            producer=PRODUCER,
        )
    source = attrs.get("source")
    if source:
        has_scheme = bool(urlparse(str(source)).scheme)
        facets["dataSource"] = DatasourceDatasetFacet(
            name=str(source), uri=str(source) if has_scheme else None, producer=PRODUCER
        )
    return facets


def _quality(node: Node) -> DataQualityMetricsInputDatasetFacet | None:
    profile = node.attrs.get("profile") or {}
    if profile.get("rows") is None:
        return None
    columns = {
        str(col): ColumnMetrics(
            nullCount=int(stats.get("nulls", 0)),
            min=stats.get("min"),
            max=stats.get("max"),
        )
        for col, stats in (profile.get("columns") or {}).items()
    }
    return DataQualityMetricsInputDatasetFacet(
        columnMetrics=columns,
        rowCount=int(profile["rows"]),
        fileCount=profile.get("files"),
        producer=PRODUCER,
    )


def _input(node: Node) -> InputDataset:
    quality = _quality(node) if node.kind == "dataset" else None
    return InputDataset(
        namespace=NAMESPACE,
        name=node.node_id,
        facets=_dataset_facets(node),
        inputFacets={"dataQualityMetrics": quality} if quality is not None else {},
    )


def _output(node: Node) -> OutputDataset:
    return OutputDataset(namespace=NAMESPACE, name=node.node_id, facets=_dataset_facets(node))


def _run_pair(
    job_name: str,
    job_type: str,
    when: str,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
) -> list[RunEvent]:
    run = Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{PRODUCER}/{job_name}")))
    job = Job(
        namespace=NAMESPACE,
        name=job_name,
        facets={
            "jobType": JobTypeJobFacet(
                processingType="BATCH", integration="MODELWARD", jobType=job_type, producer=PRODUCER
            )
        },
    )
    return [
        RunEvent(
            eventType=state,
            eventTime=when,
            run=run,
            job=job,
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        )
        for state in (RunState.START, RunState.COMPLETE)
    ]


def export_events(store: Store) -> list[RunEvent]:
    """The RunEvents describing the whole lineage graph (START and COMPLETE per run)."""
    graph = LineageGraph(store)
    nodes = {n.node_id: n for n in graph.nodes()}
    created = dict(
        connection(store).execute("SELECT node_id, created_at FROM lineage_nodes").fetchall()
    )
    upstream: dict[str, list[Edge]] = {}
    for edge in graph.edges():
        upstream.setdefault(edge.dst, []).append(edge)
    events: list[RunEvent] = []
    for node_id, node in nodes.items():
        when = _iso(created.get(node_id))
        if node.kind == "dataset" and _quality(node) is not None:
            events += _run_pair(f"profile:{node_id}", "PROFILE", when, [_input(node)], [])
        edges = upstream.get(node_id)
        if edges:
            kind = _JOB_OF_KIND[node.kind]
            events += _run_pair(
                f"{kind}:{node_id}",
                kind.upper(),
                when,
                [_input(nodes[e.src]) for e in edges],
                [_output(node)],
            )
    return events


def event_dicts(events: Iterable[RunEvent]) -> list[dict[str, Any]]:
    """The events as JSON-able dicts (nulls removed), as they go on the wire."""
    return [Serde.to_dict(e) for e in events]


def write_jsonl(events: Iterable[RunEvent], path: str | Path) -> int:
    """Write events as JSON lines; return how many."""
    lines = [Serde.to_json(e) for e in events]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def post_events(
    events: Sequence[RunEvent],
    url: str,
    *,
    endpoint: str = "api/v1/lineage",
    timeout: float = 10.0,
) -> int:
    """POST events to a Marquez-compatible endpoint with the client's HTTP transport.

    Raises
    ------
    StoreError
        If the server cannot be reached or answers with an error (events sent
        before the failure stay sent).
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"The '--url' option must be an http(s) URL. Got {url!r} instead.")
    config = HttpConfig(
        url=url, endpoint=endpoint, timeout=timeout, retry={"total": 0, "backoff_factor": 0}
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    sent = 0
    try:
        for event in events:
            client.emit(event)
            sent += 1
    except Exception as exc:  # requests' errors, raised by the transport
        raise StoreError(
            f"{url}: OpenLineage POST failed after {sent} of {len(events)} events: {exc}"
        ) from exc
    finally:
        client.close(timeout=timeout)
    return sent


@dataclass
class ImportResult:
    """What :func:`import_events` read: events, runs with lineage, edges added, skipped."""

    events: int = 0
    runs: int = 0
    edges: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "events": self.events,
            "runs": self.runs,
            "edges": [{"from": a, "to": b} for a, b in self.edges],
            "skipped": self.skipped,
        }


def _node_of(dataset: Mapping[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
    namespace, name = str(dataset.get("namespace", "")), str(dataset.get("name", ""))
    facets = dataset.get("facets") or {}
    attrs: dict[str, Any] = {}
    version = (facets.get("version") or {}).get("datasetVersion")
    if version:
        attrs["hash"] = version
    fields = (facets.get("schema") or {}).get("fields") or []
    if fields:
        attrs["schema"] = {f["name"]: f.get("type") for f in fields if "name" in f}
    source = (facets.get("dataSource") or {}).get("name")
    if source:
        attrs["source"] = source
    if namespace == NAMESPACE:
        try:
            kind, node_name, node_version = parse_node_id(name)
            return format_node_id(kind, node_name, node_version), kind, node_version, attrs
        except ConfigError:
            pass
    node_id = format_node_id("dataset", f"{namespace}/{name}", version)
    return node_id, "dataset", version, attrs


def import_events(store: Store, path: str | Path) -> ImportResult:
    """Add the lineage of a JSON-lines file of OpenLineage RunEvents to the graph.

    Raises
    ------
    ConfigError
        If a line is not JSON or not a RunEvent (the line number is named);
        nothing is imported then.
    """
    source = Path(path)
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read it: {exc}") from exc
    parsed: list[Mapping[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}, line {number}: not JSON ({exc})") from exc
        if not isinstance(event, Mapping) or "run" not in event or "job" not in event:
            raise ConfigError(f"{source}, line {number}: not an OpenLineage RunEvent")
        parsed.append(event)
    graph = LineageGraph(store)
    result = ImportResult(events=len(parsed))

    def write(con: Any) -> None:
        for event in parsed:
            if event.get("eventType", "COMPLETE") != "COMPLETE":
                continue
            result.runs += 1
            ins = [_node_of(d) for d in event.get("inputs") or []]
            outs = [_node_of(d) for d in event.get("outputs") or []]
            for node_id, _kind, version, attrs in (*ins, *outs):
                k, n, _ = parse_node_id(node_id)
                graph.upsert_node(con, node_id, k, n, version, attrs)
            for up, *_ in ins:
                for down, *_ in outs:
                    try:
                        edge = graph.prepare_edge(up, down)
                    except ConfigError as exc:
                        result.skipped.append(f"{up} -> {down}: {exc}")
                        continue
                    graph.write_edge(con, edge)
                    result.edges.append((up, down))

    transaction(store, write, what=f"import OpenLineage events from {source}")
    return result
