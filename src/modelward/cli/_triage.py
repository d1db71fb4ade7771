"""``modelward triage``: rank the causes of a degradation, with evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from modelward._triage_api import triage as run
from modelward.analyses.triage import TriageResult
from modelward.cli.app import app
from modelward.io import parse_col_options

__all__ = ["render_markdown", "render_text", "triage"]


def render_text(result: TriageResult) -> str:
    """Plain-text findings, then the hypotheses ruled out."""
    lines: list[str] = []
    if not result.findings:
        lines.append("none: no cause found; the system looks healthy.")
    for i, f in enumerate(result.findings, 1):
        seg = ", ".join(f"{k}={v}" for k, v in (f.segment or {}).items()) or "all traffic"
        lines.append(f"{i}. {f.cause}  confidence {f.confidence:.2f}  onset {f.onset}  [{seg}]")
        if f.features:
            lines.append(f"   features: {', '.join(f.features)}")
        lines.append(f"   {f.evidence}")
    if result.ruled_out:
        lines.append("")
        lines.append("ruled out:")
        for r in result.ruled_out:
            lines.append(f"- {r.cause}: {r.evidence}")
    return "\n".join(lines)


def render_markdown(result: TriageResult) -> str:
    """Findings and ruled-out hypotheses as Markdown."""
    out = ["# Triage", ""]
    if not result.findings:
        out.append("**none**: no cause found; the system looks healthy.")
    else:
        out.append("| # | cause | confidence | onset | segment | features |")
        out.append("|---|---|---|---|---|---|")
        for i, f in enumerate(result.findings, 1):
            seg = ", ".join(f"{k}={v}" for k, v in (f.segment or {}).items()) or "all"
            out.append(
                f"| {i} | {f.cause} | {f.confidence:.2f} | {f.onset} | {seg} | "
                f"{', '.join(f.features)} |"
            )
        out.append("")
        for f in result.findings:
            out.append(f"- **{f.cause}**: {f.evidence}")
    out += ["", "## Ruled out", ""]
    out += [f"- **{r.cause}**: {r.evidence}" for r in result.ruled_out]
    return "\n".join(out) + "\n"


@app.command()
def triage(
    log: str = typer.Argument(..., help="Prediction log: Parquet/CSV file, folder or glob."),
    reference_end: str = typer.Option(
        ..., "--reference-end", help="Last day of the reference window (YYYY-MM-DD)."
    ),
    events: Path | None = typer.Option(
        None, "--events", help="Events CSV (timestamp,kind,description)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="When labels were last collected (default: end of the log)."
    ),
    fmt: str = typer.Option("text", "--format", help="Output: json, text or md."),
    col: list[str] = typer.Option(
        [], "--col", help="Remap a column role, as role=name (repeatable)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Also write an incident report (Markdown + HTML) into this folder."
    ),
) -> None:
    """Rank the causes of a degradation (drift, prior shift, concept drift, label noise,
    schema change, data gap, label delay, latency) with onset, segment and evidence."""
    kind: Literal["json", "text", "md"]
    if fmt not in ("json", "text", "md"):
        raise typer.BadParameter(f"--format must be json, text or md. Got {fmt!r}.")
    kind = fmt  # type: ignore[assignment]
    result = run(
        log,
        reference_end=reference_end,
        events=events,
        as_of=as_of,
        columns=parse_col_options(col) if col else None,
    )
    console = Console(highlight=False, soft_wrap=True)
    if kind == "json":
        typer.echo(json.dumps(result.to_contract_json(), indent=2))
    elif kind == "md":
        typer.echo(render_markdown(result))
    else:
        console.print(render_text(result), markup=False)
    if out is not None:
        from modelward.report.incident import write_incident_report

        paths = write_incident_report(result, out)
        typer.echo(f"incident report: {paths['md']} {paths['html']}", err=True)
