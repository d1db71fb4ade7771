"""``modelward diff``: what changed between two model versions' prediction logs."""

from __future__ import annotations

from pathlib import Path

import typer

from modelward._diff_api import diff as run_diff
from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.io.columns import parse_col_options
from modelward.report.diff import render_diff_markdown, render_diff_text, write_diff_report

__all__ = ["diff"]

_FORMATS = ("text", "json", "md")


@app.command()
def diff(
    baseline: str = typer.Option(
        ..., "--baseline", help="Prediction log of the baseline (current) model version."
    ),
    candidate: str = typer.Option(
        ..., "--candidate", help="Prediction log of the candidate (retrained) model version."
    ),
    segment: list[str] = typer.Option(
        [], "--segment", help="A segment column (repeatable; default: inferred)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write diff.json, diff.md and diff.html into."
    ),
    fmt: str = typer.Option("text", "--format", help="Output on stdout: text, json or md."),
    col: list[str] = typer.Option(
        [], "--col", help="Remap a column role in both logs, as role=name (repeatable)."
    ),
    config: Path | None = typer.Option(None, "--config", help="A modelward.yaml file."),
    confidence: float = typer.Option(0.95, "--confidence", help="Level of every interval."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap draws."),
    fail_on_worse: bool = typer.Option(
        False, "--fail-on-worse", help="Exit 1 if a metric is significantly worse overall."
    ),
) -> None:
    """Compare a candidate model version with the baseline: flips, metric deltas, drift.

    When both logs scored the same prediction ids the comparison is paired
    (flip rates, paired intervals); otherwise the versions are compared as
    independent samples, with the drift of their input data.
    """
    if fmt not in _FORMATS:
        raise ConfigError(f"The '--format' option must be text, json or md. Got {fmt!r} instead.")
    result = run_diff(
        baseline,
        candidate,
        segments=segment or None,
        confidence=confidence,
        seed=seed,
        columns=parse_col_options(col),
        config=config,
    )
    if fmt == "json":
        typer.echo(result.model_dump_json(indent=2))
    elif fmt == "md":
        typer.echo(render_diff_markdown(result), nl=False)
    else:
        typer.echo(render_diff_text(result), nl=False)
    if out is not None:
        paths = write_diff_report(result, out)
        if fmt == "text":
            for kind, path in paths.items():
                typer.echo(f"  {kind:5s} {path}")
    if fail_on_worse and any(m.worse for m in result.metrics if not m.segment):
        raise typer.Exit(1)
