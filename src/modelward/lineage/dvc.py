"""Import a DVC project's ``.dvc`` files and ``dvc.lock`` without DVC installed.

Every output of a ``.dvc`` file and every dependency and output of a
``dvc.lock`` stage becomes a dataset version addressed by the MD5 DVC recorded
(the same address :func:`~modelward.lineage.hashing.content_hash` computes),
and each stage links its data dependencies to its outputs. Outputs that are
models (by default ``*.pkl``, ``*.joblib``, ``*.onnx``, ``*.pt``, ``*.h5``,
anything under ``models/``) become model nodes ``model:PATH@MD5[:8]`` with
``trained-on`` edges from the stage's data. Code dependencies (``*.py``, ...)
are kept as attributes of the edges, not as nodes. Where the data is in the
workspace, its hash is recomputed and compared with what DVC recorded.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from modelward._exceptions import ConfigError
from modelward.lineage._store import transaction
from modelward.lineage.datasets import insert_version, profile_data
from modelward.lineage.graph import LineageGraph, format_node_id
from modelward.lineage.hashing import content_hash
from modelward.store import Store

__all__ = ["DEFAULT_MODEL_PATTERNS", "DvcEntry", "DvcImport", "import_dvc", "read_dvc_project"]

DEFAULT_MODEL_PATTERNS = ("*.pkl", "*.joblib", "*.onnx", "*.pt", "*.pth", "*.h5", "models/*")
_CODE_SUFFIXES = frozenset({".py", ".r", ".ipynb", ".sh", ".sql", ".jl", ".scala"})


@dataclass(frozen=True)
class DvcEntry:
    """One output or dependency DVC recorded: project-relative path, MD5, size, file count."""

    path: str
    md5: str
    size: int | None = None
    nfiles: int | None = None


@dataclass(frozen=True)
class DvcStage:
    """A ``dvc.lock`` stage (or a ``.dvc`` file: a stage with no command)."""

    name: str
    cmd: str | None
    deps: tuple[DvcEntry, ...]
    outs: tuple[DvcEntry, ...]
    origin: str


@dataclass
class DvcImport:
    """What :func:`import_dvc` recorded.

    Attributes
    ----------
    nodes
        Node ids recorded (dataset versions and models), in order.
    edges
        ``(upstream, downstream, stage)`` per edge.
    verified
        Path -> True if the workspace content has the hash DVC recorded, False if
        it differs, absent if the data is not in the workspace.
    """

    nodes: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    verified: dict[str, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "nodes": self.nodes,
            "edges": [{"from": a, "to": b, "stage": s} for a, b, s in self.edges],
            "verified": self.verified,
        }


def _entry(raw: Any, base: PurePosixPath, origin: str) -> DvcEntry | None:
    if not isinstance(raw, Mapping) or "path" not in raw:
        raise ConfigError(f"{origin}: every out and dep needs a 'path'; got {raw!r}")
    md5 = raw.get("md5")
    if md5 is None:
        return None  # not tracked by content (e.g. cache: false without hash)
    path = (base / str(raw["path"])).as_posix()
    path = str(PurePosixPath(*[p for p in PurePosixPath(path).parts if p != "."]))
    size, nfiles = raw.get("size"), raw.get("nfiles")
    return DvcEntry(
        path, str(md5), None if size is None else int(size), None if nfiles is None else int(nfiles)
    )


def _entries(raws: Any, base: PurePosixPath, origin: str) -> tuple[DvcEntry, ...]:
    if raws is None:
        return ()
    if not isinstance(raws, list):
        raise ConfigError(f"{origin}: 'outs' and 'deps' must be lists")
    found = (_entry(r, base, origin) for r in raws)
    return tuple(e for e in found if e is not None)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it as YAML: {exc}") from exc


def read_dvc_project(root: str | Path) -> list[DvcStage]:
    """The ``.dvc`` files and ``dvc.lock`` stages of a DVC project, as stages.

    Raises
    ------
    ConfigError
        If the folder holds neither, or a file is not what DVC writes.
    """
    project = Path(root)
    if not project.is_dir():
        raise ConfigError(f"{project}: not a folder (give the root of a DVC project)")
    stages: list[DvcStage] = []
    for file in sorted(project.rglob("*.dvc")):
        if ".dvc" in file.relative_to(project).parts[:-1] or not file.is_file():
            continue
        rel = file.relative_to(project).as_posix()
        doc = _load_yaml(file)
        if not isinstance(doc, Mapping) or "outs" not in doc:
            raise ConfigError(f"{file}: a .dvc file needs an 'outs' list")
        base = PurePosixPath(rel).parent
        stages.append(
            DvcStage(
                rel,
                None,
                _entries(doc.get("deps"), base, rel),
                _entries(doc["outs"], base, rel),
                rel,
            )
        )
    for lock in sorted(project.rglob("dvc.lock")):
        rel = lock.relative_to(project).as_posix()
        doc = _load_yaml(lock)
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{lock}: not a dvc.lock file")
        body = doc.get("stages", doc) if "schema" in doc or "stages" in doc else doc
        if not isinstance(body, Mapping):
            raise ConfigError(f"{lock}: 'stages' must be a mapping")
        base = PurePosixPath(rel).parent
        for name, stage in body.items():
            if not isinstance(stage, Mapping):
                raise ConfigError(f"{lock}: stage {name!r} is not a mapping")
            cmd = stage.get("cmd")
            stages.append(
                DvcStage(
                    str(name),
                    " && ".join(map(str, cmd)) if isinstance(cmd, list) else cmd,
                    _entries(stage.get("deps"), base, f"{rel}:{name}"),
                    _entries(stage.get("outs"), base, f"{rel}:{name}"),
                    rel,
                )
            )
    if not stages:
        raise ConfigError(f"{project}: no .dvc file and no dvc.lock found")
    return stages


def _is_model(path: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(PurePosixPath(path).name, p) for p in patterns
    )


def import_dvc(
    store: Store,
    root: str | Path,
    *,
    model_patterns: Iterable[str] = DEFAULT_MODEL_PATTERNS,
) -> DvcImport:
    """Record a DVC project's outputs and stage dependencies as versions and edges.

    Parameters
    ----------
    store
        An open, writable store.
    root
        The project's root folder (where ``dvc.lock`` and the ``.dvc`` files are).
    model_patterns
        Globs (on the project path or the file name) of outputs that are models.

    Returns
    -------
    DvcImport
        Nodes and edges recorded, and which workspace files match DVC's hashes.
    """
    project = Path(root)
    patterns = tuple(model_patterns)
    stages = read_dvc_project(project)
    graph = LineageGraph(store)
    result = DvcImport()
    # hash and profile outside the transaction: reading data can be slow
    local: dict[str, tuple[Any, ...]] = {}
    for stage in stages:
        for entry in (*stage.deps, *stage.outs):
            target = project / entry.path
            if entry.path in local or not target.exists() or _code(entry.path):
                continue
            content = content_hash(target)
            result.verified[entry.path] = content.hash == entry.md5
            profile = (
                profile_data(target, content)
                if content.hash == entry.md5 and not _is_model(entry.path, patterns)
                else (None, {}, {})
            )
            local[entry.path] = (content, *profile)

    def node_for(con: Any, entry: DvcEntry) -> str:
        if _is_model(entry.path, patterns):
            node = format_node_id("model", entry.path, entry.md5.removesuffix(".dir")[:8])
            graph.upsert_node(
                con,
                node,
                "model",
                entry.path,
                entry.md5.removesuffix(".dir")[:8],
                {"hash": entry.md5, "path": entry.path},
            )
        else:
            content, rows, schema, profile = local.get(entry.path, (None, None, {}, {}))
            verified = content is not None and content.hash == entry.md5
            version = insert_version(
                con,
                graph,
                name=entry.path,
                hash_=entry.md5,
                path=entry.path,
                source=None,
                files=entry.nfiles
                if entry.nfiles is not None
                else (content.files if verified else 1),
                size=entry.size if entry.size is not None else (content.size if verified else 0),
                manifest=content.manifest if verified else (),
                rows=rows if verified else None,
                schema=schema if verified else {},
                profile=profile if verified else {},
            )
            node = version.node_id
        if node not in result.nodes:
            result.nodes.append(node)
        return node

    def write(con: Any) -> None:
        for stage in stages:
            code = sorted(e.path for e in stage.deps if _code(e.path))
            ups = [node_for(con, e) for e in stage.deps if not _code(e.path)]
            downs = [node_for(con, e) for e in stage.outs]
            attrs = {"stage": stage.name, "dvc_file": stage.origin}
            if stage.cmd:
                attrs["cmd"] = stage.cmd
            if code:
                attrs["code"] = ", ".join(code)
            for down in downs:
                for up in ups:
                    edge = graph.prepare_edge(up, down, attrs=attrs)
                    graph.write_edge(con, edge)
                    result.edges.append((up, down, stage.name))

    transaction(store, write, what=f"import DVC project {project}")
    return result


def _code(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in _CODE_SUFFIXES
