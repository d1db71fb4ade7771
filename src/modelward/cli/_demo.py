"""``modelward demo``: the showcase, on a simulated fraud system with an incident."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from modelward.cli.app import app

console = Console()


@app.command()
def demo(
    out: Path = typer.Option(
        Path("modelward-demo"), "--out", help="Working folder for the simulated log and reports."
    ),
    fault: str = typer.Option(
        "schema_change", "--fault", help="The incident to inject (a triage cause)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed of the simulation."),
    rows_per_day: int = typer.Option(4000, "--rows-per-day", help="Mean rows per day."),
) -> None:
    """Simulate a card-fraud system with an incident, then inspect it as a user's log."""
    from modelward.cli._inspect import render_profile
    from modelward.io import describe, read_log
    from modelward.simulate import simulate

    console.rule("[bold]modelward demo")
    with console.status(f"Simulating a card-fraud system with a {fault} incident..."):
        result = simulate(
            domain="fraud",
            fault=fault,
            days=60,
            rows_per_day=rows_per_day,
            seed=seed,
        )
        paths = result.write(out)
    console.print(
        f"Simulated [bold]{result.log.num_rows:,}[/] predictions over 60 days into {out}/ "
        f"({', '.join(p.name for p in paths.values())})."
    )
    log = read_log(out / "log.parquet")
    console.print(f"\n[bold]modelward inspect {out / 'log.parquet'}[/]")
    render_profile(describe(log), console=console)
    console.print(
        f"\nThe injected truth is in {out / 'truth.json'}; "
        "try `modelward inspect` on your own log next."
    )
