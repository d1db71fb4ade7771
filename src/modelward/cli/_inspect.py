"""``modelward inspect``: what a prediction log holds, before any analysis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.table import Table

from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.io import LogProfile, describe, parse_col_options, read_log

__all__ = ["inspect", "render_profile"]


def render_profile(profile: LogProfile, *, console: Console) -> None:
    """Print a profile as Rich tables."""
    overview = Table(title=f"Prediction log {profile.source}", show_header=False)
    overview.add_column("", style="bold")
    overview.add_column("")
    overview.add_row("rows", f"{profile.rows:,}")
    overview.add_row("task", profile.task)
    overview.add_row("from", str(profile.first_timestamp))
    overview.add_row("to", str(profile.last_timestamp))
    overview.add_row("daily buckets", str(profile.days))
    coverage = profile.label_coverage
    overview.add_row("label coverage", "no label column" if coverage is None else f"{coverage:.1%}")
    overview.add_row("median label lag", profile.median_label_lag or "-")
    for version, rows in profile.model_versions:
        overview.add_row(f"model {version}", f"{rows:,} rows")
    console.print(overview)

    features = Table(title="Features")
    for name in ("feature", "kind", "type", "segment values"):
        features.add_column(name)
    segment_values = dict(profile.segments)
    for f in profile.features:
        n = segment_values.get(f.name)
        features.add_row(f.name, f.kind, f.dtype, "" if n is None else str(n))
    for name, n in profile.segments:
        if name not in {f.name for f in profile.features}:
            features.add_row(name, "segment", "", str(n))
    for name in profile.identifiers:
        features.add_row(name, "id-like, not monitored", "", "")
    console.print(features)


@app.command()
def inspect(
    log: str = typer.Argument(
        ..., help="Prediction log: Parquet/CSV file, folder, glob or duckdb:PATH:TABLE."
    ),
    col: list[str] = typer.Option(
        [], "--col", help="Remap a column role, as role=name (repeatable)."
    ),
    config: Path | None = typer.Option(None, "--config", help="A modelward.yaml file."),
    segment: list[str] = typer.Option(
        [], "--segment", help="A segment column (repeatable; default: inferred)."
    ),
    fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Show what a prediction log holds: rows, time span, features, segments, labels."""
    output: Literal["text", "json"]
    if fmt == "text":
        output = "text"
    elif fmt == "json":
        output = "json"
    else:
        raise ConfigError(f"The '--format' option must be text or json. Got {fmt!r} instead.")
    prediction_log = read_log(
        log,
        columns=parse_col_options(col),
        config=config,
        segments=segment or None,
    )
    profile = describe(prediction_log)
    if output == "json":
        typer.echo(json.dumps(profile.to_dict(), indent=2))
    else:
        render_profile(profile, console=Console())
