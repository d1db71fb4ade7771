"""``modelward data``: content-addressed dataset versions, and DVC import."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.lineage.datasets import add_dataset, dataset_log
from modelward.lineage.dvc import DEFAULT_MODEL_PATTERNS, import_dvc
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["data_app"]

data_app = typer.Typer(help="Version datasets by content (DVC-compatible MD5) and show their log.")
app.add_typer(data_app, name="data")

STORE = typer.Option(DEFAULT_STORE_PATH, "--store", help="The modelward store (DuckDB file).")


def _format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        raise ConfigError(f"The '--format' option must be text or json. Got {fmt!r} instead.")
    return fmt


@data_app.command("add")
def add(
    path: Path = typer.Argument(..., help="A file or folder to version."),
    name: str = typer.Option(..., "--name", help="The dataset's name."),
    source: str | None = typer.Option(None, "--source", help="Where it came from (URI)."),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Content-address a file or folder and store it as the dataset's next version."""
    _format(fmt)
    with Store(store) as opened:
        v = add_dataset(opened, path, name=name, source=source)
    if fmt == "json":
        typer.echo(json.dumps({**v.to_dict(), "created": v.created}, indent=2))
        return
    verb = "added" if v.created else "unchanged, already"
    rows = "-" if v.rows is None else f"{v.rows:,} rows"
    typer.echo(f"{verb} {v.node_id}  {v.hash}  {rows}, {v.files} file(s)")


@data_app.command("log")
def log(
    name: str = typer.Argument(..., help="The dataset's name."),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Versions of a dataset with time, hash, rows and schema changes between them."""
    _format(fmt)
    with Store(store, read_only=Path(store).exists()) as opened:
        entries = dataset_log(opened, name)
    if fmt == "json":
        out = [{**v.to_dict(), "schema_change": c.to_dict()} for v, c in entries]
        typer.echo(json.dumps(out, indent=2))
        return
    for v, change in entries:
        rows = "-" if v.rows is None else f"{v.rows:,}"
        typer.echo(f"v{v.version}  {v.created_at:%Y-%m-%d %H:%M:%S}Z  {v.hash}  rows {rows}")
        for col in change.added:
            typer.echo(f"    + {col} {v.schema[col]}")
        for col in change.removed:
            typer.echo(f"    - {col}")
        for col, old, new in change.retyped:
            typer.echo(f"    ~ {col} {old} -> {new}")


@data_app.command("import-dvc")
def import_dvc_cmd(
    project: Path = typer.Argument(..., help="Root of a DVC project (.dvc files, dvc.lock)."),
    model: list[str] = typer.Option(
        list(DEFAULT_MODEL_PATTERNS), "--model", help="Glob of outputs that are models."
    ),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Import a DVC project's outputs and stage dependencies as versions and edges."""
    _format(fmt)
    with Store(store) as opened:
        result = import_dvc(opened, project, model_patterns=model)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(f"{len(result.nodes)} nodes, {len(result.edges)} edges")
    for path, ok in sorted(result.verified.items()):
        typer.echo(f"  {'ok' if ok else 'DIFFERS'}  {path}")
