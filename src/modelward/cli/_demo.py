"""``modelward demo``: the showcase, on a simulated fraud system with an incident."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from modelward._api import save_check, summarise
from modelward.analyses.check import run_check
from modelward.analyses.triage import run_triage
from modelward.cli.app import app
from modelward.io import describe, read_log
from modelward.io.events import read_events
from modelward.report import render_terminal
from modelward.report.incident import write_incident_report
from modelward.simulate import simulate
from modelward.store import Store

console = Console()


@app.command()
def demo(
    out: Path = typer.Option(
        Path("modelward-demo"), "--out", help="Working folder for the simulated log and reports."
    ),
    fault: str = typer.Option(
        "covariate_drift", "--fault", help="The incident to inject (a triage cause)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed of the simulation."),
    rows_per_day: int = typer.Option(4000, "--rows-per-day", help="Mean rows per day."),
    days: int = typer.Option(60, "--days", help="Days of traffic."),
) -> None:
    """Simulate a card-fraud system with an incident, then inspect and check it."""
    # sibling command modules are imported here, not at the top: each of them imports
    # the app, which imports this module, so a top-level import would be circular
    from modelward.cli._check import write_reports
    from modelward.cli._inspect import render_profile
    from modelward.cli._triage import render_text

    console.rule("[bold]modelward demo")
    with console.status(f"Simulating a card-fraud system with a {fault} incident..."):
        result = simulate(
            domain="fraud", fault=fault, days=days, rows_per_day=rows_per_day, seed=seed
        )
        paths = result.write(out)
    truth = result.truth
    console.print(
        f"Simulated [bold]{result.log.num_rows:,}[/] predictions over {days} days into {out}/ "
        f"({', '.join(p.name for p in paths.values())})."
    )
    log_path = out / "log.parquet"
    console.print(f"\n[bold]$ modelward inspect {log_path}[/]")
    log = read_log(log_path)
    render_profile(describe(log), console=console)

    reference_end = str(truth["reference_end"])
    console.print(f"\n[bold]$ modelward check {log_path} --reference-end {reference_end}[/]")
    with console.status("One scan of the log, then health, drift, performance, latency..."):
        summaries = summarise(log, reference_end=reference_end)
        check = run_check(summaries)
    render_terminal(check, console)
    with Store(out / "store.duckdb") as store:
        run_id = save_check(
            store,
            system="fraud-demo",
            result=check,
            summaries=summaries,
            parameters={"log": str(log_path), "reference_end": reference_end},
        )
    reports = write_reports(check, out / "report")
    console.print(f"Stored as run {run_id} in {out / 'store.duckdb'}.")
    console.print("Reports: " + ", ".join(str(p) for p in reports))

    events = out / "events.csv"
    console.print(
        f"\n[bold]$ modelward triage {log_path} --reference-end {reference_end} "
        f"--events {events}[/]  (same summaries, no second scan)"
    )
    triage = run_triage(summaries, events=read_events(events))
    console.print(render_text(triage), highlight=False, soft_wrap=True)
    incident = write_incident_report(triage, out / "incident")
    console.print("Incident report: " + ", ".join(str(p) for p in incident.values()))

    console.print("\n[bold]What was injected[/] (truth.json, hidden from the analyses):")
    shown = {k: truth[k] for k in ("cause", "onset", "segment", "features") if k in truth}
    console.print(json.dumps(shown, indent=2, default=str), highlight=False)
    console.print(
        f"\nOpen {out / 'report' / 'report.html'} in a browser (it works offline); "
        "then try `modelward check` on your own log."
    )
