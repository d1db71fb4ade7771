"""``modelward simulate`` and ``modelward inject``: synthetic incidents and fault drills."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import typer
from rich.console import Console

from modelward._exceptions import ConfigError, LogFormatError, LogNotFoundError
from modelward.cli.app import app
from modelward.io.columns import ColumnRoles, parse_col_options
from modelward.simulate import DOMAINS, FAULTS, SimulationResult, inject, simulate
from modelward.simulate._api import as_result

console = Console()


def _choice(value: str, valid: tuple[str, ...] | list[str], what: str) -> str:
    if value not in valid:
        raise ConfigError(f"Unknown {what} {value!r}. Valid {what}s: {', '.join(valid)}.")
    return value


def _summary(result: SimulationResult, paths: dict[str, Path]) -> None:
    t = result.truth
    params = t.get("parameters", {})
    days = params.get("days") if isinstance(params, dict) else None
    console.print(
        f"[bold]{t['cause']}[/] rows={result.log.num_rows:,}"
        + (f" days={days}" if days is not None else "")
        + f" onset={t['onset']} segment={t['segment']} features={t['features']}"
        + f" variant={t.get('variant')}"
    )
    for kind, path in paths.items():
        console.print(f"  {kind:7s} {path}")


@app.command("simulate")
def simulate_command(
    domain: str = typer.Option("fraud", "--domain", help=f"One of: {', '.join(DOMAINS)}."),
    fault: str = typer.Option("none", "--fault", help=f"One of: {', '.join(FAULTS)}."),
    magnitude: float = typer.Option(0.5, "--magnitude", help="Fault size in (0, 1]."),
    onset_day: int | None = typer.Option(None, "--onset-day", help="0-based onset day."),
    segment: str | None = typer.Option(None, "--segment", help="Fault one segment: col=value."),
    gradual: float = typer.Option(0.0, "--gradual", help="Ramp the fault over DAYS."),
    variant: str | None = typer.Option(None, "--variant", help="Fault variant (unit_x100...)."),
    days: int = typer.Option(42, "--days", help="Days of traffic."),
    rows_per_day: int = typer.Option(2000, "--rows-per-day", help="Average daily volume."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same log)."),
    start: str = typer.Option("2026-01-01", "--start", help="First day (UTC)."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
) -> None:
    """Simulate a production ML system with one injected fault and its ground truth."""
    _choice(domain, sorted(DOMAINS), "domain")
    _choice(fault, FAULTS, "fault")
    with console.status(f"Simulating {days} days of {domain} with {fault}..."):
        result = simulate(
            domain=domain,
            fault=fault,
            magnitude=magnitude,
            onset_day=onset_day,
            segment=segment,
            gradual_days=gradual,
            days=days,
            rows_per_day=rows_per_day,
            seed=seed,
            start=start,
            variant=variant,
        )
        paths = result.write(out)
    _summary(result, paths)


def _read_log(path: Path) -> pa.Table:
    if not path.exists():
        raise LogNotFoundError("no such file or folder", source=str(path))
    target = str(path / "*") if path.is_dir() else str(path)
    suffix = (next(iter(sorted(path.glob("*.*"))), path) if path.is_dir() else path).suffix
    reader = "read_parquet" if suffix.lower() in (".parquet", ".pq") else "read_csv_auto"
    try:
        con = duckdb.connect()
        return con.sql(f"SELECT * FROM {reader}(?)", params=[target]).to_arrow_table()
    except duckdb.Error as exc:
        raise LogFormatError(f"cannot read log: {exc}", source=str(path)) from exc


@app.command("inject")
def inject_command(
    log: Path = typer.Argument(..., help="Prediction log (Parquet or CSV file, or a folder)."),
    fault: str = typer.Option(..., "--fault", help=f"One of: {', '.join(FAULTS)}."),
    magnitude: float = typer.Option(0.5, "--magnitude", help="Fault size in (0, 1]."),
    onset: str | None = typer.Option(None, "--onset", help="Onset date or datetime (UTC)."),
    segment: str | None = typer.Option(None, "--segment", help="Fault one segment: col=value."),
    gradual: float = typer.Option(0.0, "--gradual", help="Ramp the fault over DAYS."),
    variant: str | None = typer.Option(None, "--variant", help="Fault variant (unit_x100...)."),
    col: list[str] = typer.Option([], "--col", help="Column role mapping role=name."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out: Path = typer.Option(..., "--out", help="Output folder."),
) -> None:
    """Inject a fault into your own prediction log, with the ground truth beside it."""
    _choice(fault, FAULTS, "fault")
    roles = ColumnRoles.from_mapping(parse_col_options(col))
    with console.status(f"Injecting {fault} into {log}..."):
        table = _read_log(log)
        faulted, truth = inject(
            table,
            fault=fault,
            magnitude=magnitude,
            onset=onset,
            segment=segment,
            gradual_days=gradual,
            roles=roles,
            seed=seed,
            variant=variant,
        )
        result = as_result(faulted, truth)
        paths = result.write(out)
    _summary(result, paths)
