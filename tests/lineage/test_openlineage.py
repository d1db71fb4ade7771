"""OpenLineage export validates against the shipped spec, round-trips, and POSTs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from referencing import Registry, Resource

from modelward._exceptions import StoreError
from modelward.lineage import LineageGraph, add_dataset, export_events, import_events
from modelward.lineage.openlineage import event_dicts, post_events, write_jsonl
from modelward.store import Store

SPEC = Path(__file__).parent / "fixtures" / "openlineage"


def _registry() -> Registry:
    resources = []
    for path in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]:
        doc = json.loads(path.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
RUN_EVENT = {"$ref": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}


def _validate(event: dict[str, Any]) -> int:
    """Validate an event and each facet against its own schema; return facets checked."""
    jsonschema.Draft202012Validator(RUN_EVENT, registry=REGISTRY).validate(event)
    facets: list[dict[str, Any]] = list((event["job"].get("facets") or {}).values())
    for ds in event.get("inputs", []) + event.get("outputs", []):
        facets += list((ds.get("facets") or {}).values())
        facets += list((ds.get("inputFacets") or {}).values())
    for facet in facets:
        jsonschema.Draft202012Validator({"$ref": facet["_schemaURL"]}, registry=REGISTRY).validate(
            facet
        )
    return len(facets)


@pytest.fixture
def populated(tmp_path: Path, store: Store) -> Store:
    data = tmp_path / "train.csv"
    data.write_text("amount,country\n1.5,FR\n,US\n7.0,US\n")
    v = add_dataset(store, data, name="train", source="s3://lake/tx")
    g = LineageGraph(store)
    g.add_edge(v.node_id, "model:fraud@v1")
    g.add_edge("source:crm", "dataset:customers@1")
    g.add_edge("dataset:customers@1", "model:fraud@v1")
    g.add_edge("model:fraud@v1", "deployment:prod")
    return store


def test_events_validate_against_the_spec(populated: Store) -> None:
    events = event_dicts(export_events(populated))
    assert events
    checked = sum(_validate(e) for e in events)
    assert checked > 0
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}
    train = [e for e in events if e["job"]["name"] == "train:model:fraud@v1"]
    assert len(train) == 2
    inputs = {d["name"]: d for d in train[1]["inputs"]}
    assert set(inputs) == {"dataset:train@1", "dataset:customers@1"}
    assert [d["name"] for d in train[1]["outputs"]] == ["model:fraud@v1"]
    ds = inputs["dataset:train@1"]
    assert set(ds["facets"]) == {"version", "schema", "dataSource"}
    quality = ds["inputFacets"]["dataQualityMetrics"]
    assert quality["rowCount"] == 3
    amount = quality["columnMetrics"]["amount"]
    assert (amount["nullCount"], amount["min"], amount["max"]) == (1, 1.5, 7.0)
    assert ds["facets"]["dataSource"]["uri"] == "s3://lake/tx"


def test_an_invalid_event_is_caught() -> None:
    bad = {"eventTime": "yesterday", "producer": "x", "schemaURL": "x", "run": {}, "job": {}}
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)


def test_import_round_trips_the_graph(populated: Store, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_jsonl(export_events(populated), path)
    original = LineageGraph(populated)
    with Store(tmp_path / "other.duckdb") as other:
        result = import_events(other, path)
        assert not result.skipped
        copy = LineageGraph(other)
        assert {n.node_id for n in copy.nodes()} == {n.node_id for n in original.nodes()}
        assert {(e.src, e.dst, e.kind) for e in copy.edges()} == {
            (e.src, e.dst, e.kind) for e in original.edges()
        }
        assert (
            copy.node("dataset:train@1").attrs["hash"]
            == original.node("dataset:train@1").attrs["hash"]
        )
        import_events(other, path)  # again: nothing new
        assert len(copy.edges()) == len(original.edges())


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201 if self.path == "/api/v1/lineage" else 500)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Collector.received = []
    httpd = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_post_to_a_marquez_compatible_endpoint(populated: Store, server: str) -> None:
    events = export_events(populated)
    assert post_events(events, server) == len(events)
    assert [p for p, _ in _Collector.received] == ["/api/v1/lineage"] * len(events)
    assert [b["run"]["runId"] for _, b in _Collector.received] == [
        e["run"]["runId"] for e in event_dicts(events)
    ]
    with pytest.raises(StoreError, match="failed after 0 of"):
        post_events(events, server, endpoint="broken")
