"""``modelward feedback``: corrections and late labels, and how well they flow back."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.io import parse_col_options, read_log
from modelward.lineage.feedback import add_feedback, feedback_history, feedback_report
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["feedback_app"]

feedback_app = typer.Typer(help="User corrections and late labels joined onto predictions.")
app.add_typer(feedback_app, name="feedback")

STORE = typer.Option(DEFAULT_STORE_PATH, "--store", help="The modelward store (DuckDB file).")


@feedback_app.command("add")
def add(
    file: Path = typer.Argument(..., help="CSV/Parquet: prediction_id, label, timestamp, source."),
    store: Path = STORE,
) -> None:
    """Load feedback; identical rows are skipped, changed ones kept as new versions."""
    with Store(store) as opened:
        load = add_feedback(opened, file)
    typer.echo(
        f"{load.rows} rows: {load.added} added ({load.revisions} new versions of earlier "
        f"feedback), {load.duplicates} already stored"
    )


@feedback_app.command("history")
def history(
    prediction_id: str = typer.Argument(..., help="A prediction id."),
    store: Path = STORE,
) -> None:
    """Every stored version of the feedback on one prediction."""
    with Store(store) as opened:
        rows = feedback_history(opened, prediction_id)
    if not rows:
        typer.echo(f"no feedback for {prediction_id}")
    for r in rows:
        typer.echo(f"v{r.version}  {r.timestamp:%Y-%m-%d %H:%M:%S}Z  {r.source}  label={r.label:g}")


@feedback_app.command("report")
def report(
    log: str = typer.Argument(..., help="The prediction log the feedback is about."),
    col: list[str] = typer.Option([], "--col", help="Remap a column role, as role=name."),
    segment: list[str] = typer.Option([], "--segment", help="A segment column (repeatable)."),
    store: Path = STORE,
    fmt: str = typer.Option("text", "--format", help="Output format: text or json."),
) -> None:
    """Coverage by segment and age, lag, source mix, disagreement, never-labelled share."""
    if fmt not in ("text", "json"):
        raise ConfigError(f"The '--format' option must be text or json. Got {fmt!r} instead.")
    prediction_log = read_log(log, columns=parse_col_options(col), segments=segment or None)
    with Store(store) as opened:
        result = feedback_report(opened, prediction_log)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    cov = "-" if result.coverage is None else f"{result.coverage:.1%}"
    typer.echo(f"{result.predictions:,} predictions, {result.labelled:,} with feedback ({cov})")
    for r in result.coverage_by_age:
        typer.echo(f"  age {r['age']:>8}: {r['coverage']:.1%} of {r['predictions']:,}")
    for r in result.coverage_by_segment:
        typer.echo(f"  {r['segment']}={r['value']}: {r['coverage']:.1%} of {r['predictions']:,}")
    q = result.lag_quantiles_hours
    if q.get("p50") is not None:
        typer.echo(f"lag p50 {q['p50']:.1f} h, p90 {q['p90']:.1f} h, p99 {q['p99']:.1f} h")
    for r in result.source_mix:
        typer.echo(f"  source {r['source']}: {r['share']:.1%} of feedback")
    d = result.disagreement
    if d.get("rate") is not None:
        typer.echo(
            f"sources disagree on {d['disagreeing']} of {d['predictions_with_several_sources']}"
        )
    never = result.never_labelled
    if never.get("share") is not None:
        typer.echo(f"never labelled (est.): {never['share']:.1%} of {never['eligible']:,}")
