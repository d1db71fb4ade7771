"""DVC-compatible hashes, and import of a hand-made DVC project."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from modelward.lineage import LineageGraph, content_hash, import_dvc
from modelward.lineage.datasets import dataset_log
from modelward.lineage.hashing import manifest_md5
from modelward.store import Store

FIXTURES = Path(__file__).parent / "fixtures"

PROJECT = FIXTURES / "dvc_project"


def _recorded() -> dict[str, str]:
    """Path -> md5 as written in the fixture's .dvc files and dvc.lock."""
    out: dict[str, str] = {}
    for name in ("raw.csv", "images"):
        doc = yaml.safe_load((PROJECT / "data" / f"{name}.dvc").read_text())
        out[f"data/{doc['outs'][0]['path']}"] = doc["outs"][0]["md5"]
    lock = yaml.safe_load((PROJECT / "dvc.lock").read_text())
    for stage in lock["stages"].values():
        for e in stage["deps"] + stage["outs"]:
            out[e["path"]] = e["md5"]
    return out


def test_hashes_line_up_with_dvc_files() -> None:
    recorded = _recorded()
    assert recorded["data/images"].endswith(".dir")
    for path, md5 in recorded.items():
        assert content_hash(PROJECT / path).hash == md5, path


def test_known_md5_values() -> None:
    # md5 of b"" and of DVC's empty-folder manifest "[]"
    assert manifest_md5([]) == hashlib.md5(b"[]").hexdigest() + ".dir"
    entries = [{"relpath": "b", "md5": "2" * 32}, {"relpath": "a", "md5": "1" * 32}]
    text = '[{"md5": "11111111111111111111111111111111", "relpath": "a"}, ' + (
        '{"md5": "22222222222222222222222222222222", "relpath": "b"}]'
    )
    assert manifest_md5(entries) == hashlib.md5(text.encode()).hexdigest() + ".dir"


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,6}(/[a-z]{1,6})?", fullmatch=True),
        st.binary(max_size=64),
        min_size=1,
        max_size=6,
    )
)
def test_folder_hash_ignores_creation_order(files: dict[str, bytes]) -> None:
    import tempfile

    paths = {p for p in files if not any(q.startswith(p + "/") for q in files)}
    roots = []
    for order in (sorted(paths), sorted(paths, reverse=True)):
        root = Path(tempfile.mkdtemp())
        for p in order:
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_bytes(files[p])
        roots.append(content_hash(root))
    assert roots[0].hash == roots[1].hash
    assert roots[0].files == len(paths)
    listing = json.dumps(
        [{"md5": hashlib.md5(files[p]).hexdigest(), "relpath": p} for p in sorted(paths)],
        sort_keys=True,
    )
    assert roots[0].hash == hashlib.md5(listing.encode()).hexdigest() + ".dir"


def test_import_dvc_project(store: Store) -> None:
    result = import_dvc(store, PROJECT)
    assert all(result.verified.values())
    assert len(result.verified) == 4
    model = "model:models/model.pkl@" + _recorded()["models/model.pkl"][:8]
    assert model in result.nodes
    graph = LineageGraph(store)
    up = graph.trace(model)
    assert set(up.of_kind("dataset")) == {
        "dataset:data/raw.csv@1",
        "dataset:data/prepared@1",
        "dataset:data/images@1",
    }
    down = graph.impact("dataset:data/raw.csv")
    assert down.of_kind("model") == [model]
    kinds = {(e.src, e.dst): e.kind for e in graph.edges()}
    assert kinds[("dataset:data/prepared@1", model)] == "trained-on"
    assert graph.edges()[0].attrs.get("stage") in {"prepare", "train"}
    # versions carry DVC's hash and a profile where the data is tabular
    [(v, _)] = dataset_log(store, "data/raw.csv")
    assert v.hash == _recorded()["data/raw.csv"]
    assert v.rows == 3
    assert v.profile["columns"]["amount"] == {"nulls": 1, "min": 3.0, "max": 10.5}
    # importing again adds nothing
    again = import_dvc(store, PROJECT)
    assert again.nodes == result.nodes
    assert len(dataset_log(store, "data/raw.csv")) == 1


def test_import_flags_workspace_that_differs(tmp_path: Path, store: Store) -> None:
    project = tmp_path / "p"
    shutil.copytree(PROJECT, project)
    (project / "data" / "raw.csv").write_text("id,amount,country\n9,1.0,DE\n")
    result = import_dvc(store, project)
    assert result.verified["data/raw.csv"] is False
    [(v, _)] = dataset_log(store, "data/raw.csv")
    assert v.hash == _recorded()["data/raw.csv"]  # DVC's record, not the edited file
    assert v.rows is None
