"""``modelward check``, ``modelward runs`` and ``modelward report``: the morning check."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from modelward._api import read_policy, save_check, summarise
from modelward._exceptions import ConfigError
from modelward.analyses.check import run_check
from modelward.analyses.results import CheckResult
from modelward.cli.app import app
from modelward.io import parse_col_options, read_log
from modelward.report import render_markdown, render_terminal, write_html, write_json
from modelward.report.gate import render_triggers
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["check", "report", "runs", "write_reports"]

console = Console()

StoreOption = typer.Option(
    Path(DEFAULT_STORE_PATH), "--store", help="The run store (a DuckDB file)."
)


def write_reports(result: CheckResult, out: Path) -> list[Path]:
    """Write report.json, report.md and report.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = write_json(result, out / "report.json")
    md_path = out / "report.md"
    md_path.write_text(render_markdown(result), encoding="utf-8")
    html_path = write_html(result, out / "report.html")
    return [json_path, md_path, html_path]


@app.command()
def check(
    log: str = typer.Argument(..., help="Prediction log: Parquet/CSV file, folder or glob."),
    reference_end: str | None = typer.Option(
        None,
        "--reference-end",
        help="Last day (inclusive) of the reference window, e.g. 2026-01-14.",
    ),
    reference_start: str | None = typer.Option(
        None,
        "--reference-start",
        help="First day of the reference window (default: the log's start).",
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="A separate reference log instead of a date range."
    ),
    segment: list[str] = typer.Option(
        [], "--segment", help="A segment column (repeatable; default: inferred)."
    ),
    bucket: str = typer.Option("day", "--bucket", help="Time bucket: hour, day or week."),
    engine: str = typer.Option(
        "duckdb", "--engine", help="duckdb (embedded, default) or spark (needs modelward[spark])."
    ),
    col: list[str] = typer.Option([], "--col", help="Remap a column role, as role=name."),
    config: Path | None = typer.Option(None, "--config", help="A modelward.yaml file."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for report.json, report.md and report.html."
    ),
    system: str | None = typer.Option(
        None,
        "--system",
        help="Name of the monitored system in the store (default: the log's name).",
    ),
    store: Path = StoreOption,
    no_store: bool = typer.Option(False, "--no-store", help="Do not record the run in the store."),
    policy: Path | None = typer.Option(
        None, "--policy", help="A policy file whose constraints run as rollback triggers."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="False-discovery rate of the drift tests."),
    seed: int = typer.Option(0, "--seed", help="Seed of resampling methods."),
) -> None:
    """Scan a prediction log once and report health, drift, performance and latency.

    With --policy, the policy's constraints are evaluated on each live window as
    rollback triggers; fired triggers are stored as alerts and shown first.
    """
    if (reference_end is None) == (reference is None):
        raise ConfigError("Give exactly one of --reference-end DATE or --reference REF_LOG.")
    columns = parse_col_options(col)
    pol = read_policy(policy) if policy is not None else None
    started = time.perf_counter()
    plog = read_log(log, columns=columns, config=config, segments=segment or None)
    if pol is not None and set(pol.segment_columns) - set(plog.segments):
        extra = sorted(set(pol.segment_columns) - set(plog.segments))
        plog = read_log(log, columns=columns, config=config, segments=[*plog.segments, *extra])
    with Progress(
        TextColumn("[bold]Scanning[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(log, total=1.0)
        summaries = summarise(
            plog,
            reference_end=reference_end,
            reference_start=reference_start,
            reference=reference,
            columns=columns,
            config=config,
            bucket=bucket,
            engine=engine,
            progress=lambda f: bar.update(task, completed=f),
        )
    result = run_check(summaries, alpha=alpha, seed=seed, policy=pol)
    elapsed = time.perf_counter() - started
    if result.triggers:
        render_triggers(result.triggers, console)
    render_terminal(result, console)
    if not no_store:
        name = system or Path(log.rstrip("/")).stem or "default"
        parameters = {
            "log": log,
            "reference_end": reference_end,
            "reference_start": reference_start,
            "reference": reference,
            "segments": segment,
            "bucket": bucket,
            "engine": engine,
            "columns": columns,
            "alpha": alpha,
            "seed": seed,
            "policy": str(policy) if policy else None,
        }
        with Store(store) as st:
            run_id = save_check(
                st, system=name, result=result, summaries=summaries, parameters=parameters
            )
        console.print(f"Stored as run [bold]{run_id}[/] of system '{name}' in {store}.")
    if out is not None:
        paths = write_reports(result, out)
        console.print("Wrote " + ", ".join(str(p) for p in paths))
    console.print(f"[dim]{result.n_rows:,} rows checked in {elapsed:.1f} s.[/]")
    if any(item.severity == "critical" for item in result.summary):
        raise typer.Exit(1)


@app.command()
def runs(
    store: Path = StoreOption,
    system: str | None = typer.Option(None, "--system", help="Only the runs of this system."),
    limit: int = typer.Option(20, "--limit", help="How many runs, newest first."),
) -> None:
    """List the runs recorded in the store, newest first."""
    if not store.exists():
        raise ConfigError(f"{store}: no store here yet; run `modelward check` first.")
    with Store(store, read_only=True) as st:
        infos = st.list_runs(system=system, limit=limit)
    table = Table(title=f"Runs in {store}")
    for name in ("run", "system", "kind", "created (UTC)", "source", "status"):
        table.add_column(name)
    for info in infos:
        table.add_row(
            info.run_id,
            info.system,
            info.kind,
            f"{info.created_at:%Y-%m-%d %H:%M:%S}",
            info.source,
            info.status,
        )
    console.print(table)


@app.command()
def report(
    run_id: str = typer.Argument(..., help="A run id, or a unique prefix of one."),
    store: Path = StoreOption,
    out: Path | None = typer.Option(None, "--out", help="Write report.json/.md/.html here."),
    format: str = typer.Option("text", "--format", help="What to print: text, json or md."),
) -> None:
    """Re-render a stored run without re-reading its log."""
    fmt: Literal["text", "json", "md"]
    if format not in ("text", "json", "md"):
        raise ConfigError(f"--format must be text, json or md. Got {format!r}.")
    fmt = format  # type: ignore[assignment]
    if not store.exists():
        raise ConfigError(f"{store}: no store here yet; run `modelward check` first.")
    with Store(store, read_only=True) as st:
        stored = st.load_run(run_id)
    result = CheckResult.model_validate(stored.results)
    if fmt == "json":
        print(result.model_dump_json(indent=2))
    elif fmt == "md":
        print(render_markdown(result))
    else:
        render_terminal(result, console)
    if out is not None:
        paths = write_reports(result, out)
        console.print("Wrote " + ", ".join(str(p) for p in paths))
