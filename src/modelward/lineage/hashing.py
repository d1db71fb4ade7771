"""Content addresses of files and folders, computed as DVC computes them.

A file's address is the MD5 of its bytes (DVC 3's ``md5``; DVC 2's legacy
``md5-dos2unix`` differs only for text files with CRLF line ends). A folder's
address is DVC's ``.dir`` hash: the MD5 of the JSON text of its manifest, the
list of ``{"md5": ..., "relpath": ...}`` of every file below it, sorted by the
POSIX relative path and serialised with ``json.dumps(..., sort_keys=True)``,
followed by ``".dir"``. The same data therefore has the same address here as in
a ``.dvc`` file or ``dvc.lock``. As DVC does, ``.git``, ``.hg`` and ``.dvc``
folders are not part of a folder's content.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "a.csv").write_bytes(b"x,y\\n1,2\\n")
>>> file_md5(root / "a.csv")
'344fd2323dd33d5c058b7cf27de029e8'
>>> content_hash(root).manifest
({'md5': '344fd2323dd33d5c058b7cf27de029e8', 'relpath': 'a.csv'},)
>>> content_hash(root).hash.endswith(".dir")
True
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from modelward._exceptions import ConfigError

__all__ = ["ContentHash", "content_hash", "dir_manifest", "file_md5", "manifest_md5"]

_CHUNK = 1 << 20
_IGNORED_DIRS = frozenset({".git", ".hg", ".dvc"})


def file_md5(path: str | Path) -> str:
    """MD5 hex digest of a file's bytes, read in 1 MiB chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = p.write_bytes(b"")
    >>> file_md5(p)
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dir_manifest(path: str | Path) -> tuple[dict[str, str], ...]:
    """DVC's manifest of a folder: ``{"md5", "relpath"}`` per file, sorted by relpath."""
    root = Path(path)
    entries: list[dict[str, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS)
        for name in files:
            full = Path(folder) / name
            if not full.is_file():
                continue
            rel = full.relative_to(root).as_posix()
            entries.append({"md5": file_md5(full), "relpath": rel})
    entries.sort(key=lambda e: e["relpath"])
    return tuple(entries)


def manifest_md5(manifest: Sequence[dict[str, str]]) -> str:
    """DVC's ``.dir`` hash of a manifest.

    Examples
    --------
    >>> manifest_md5([])
    'd751713988987e9331980363e24189ce.dir'
    """
    ordered = sorted(
        ({"md5": e["md5"], "relpath": e["relpath"]} for e in manifest), key=lambda e: e["relpath"]
    )
    text = json.dumps(ordered, sort_keys=True).encode("utf-8")
    return hashlib.md5(text, usedforsecurity=False).hexdigest() + ".dir"


@dataclass(frozen=True)
class ContentHash:
    """The content address of a file or folder.

    Attributes
    ----------
    hash
        ``md5`` of a file, or ``md5.dir`` of a folder (DVC's format).
    is_dir
        Whether the path is a folder.
    files, size
        Number of files and total bytes.
    manifest
        ``{"md5", "relpath"}`` per file (a single entry with the file name for a file).
    """

    hash: str
    is_dir: bool
    files: int
    size: int
    manifest: tuple[dict[str, str], ...]


def content_hash(path: str | Path) -> ContentHash:
    """Content address of a file or folder, as DVC computes it.

    Raises
    ------
    ConfigError
        If the path does not exist or is neither a file nor a folder.
    """
    p = Path(path)
    if p.is_file():
        md5 = file_md5(p)
        return ContentHash(md5, False, 1, p.stat().st_size, ({"md5": md5, "relpath": p.name},))
    if p.is_dir():
        manifest = dir_manifest(p)
        size = sum((p / e["relpath"]).stat().st_size for e in manifest)
        return ContentHash(manifest_md5(manifest), True, len(manifest), size, manifest)
    raise ConfigError(f"{p}: no such file or folder to version")
