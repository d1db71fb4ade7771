"""``modelward forecast``: the confidence calendar of a log under a policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from modelward._api import read_policy, summarise
from modelward._exceptions import ConfigError
from modelward.analyses.check import run_check
from modelward.analyses.forecast import ForecastResult, forecast_policy
from modelward.cli.app import app
from modelward.io import parse_col_options
from modelward.store import DEFAULT_STORE_PATH, Store

__all__ = ["forecast", "parse_horizon", "render_forecast"]

console = Console()
_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dw]?)\s*$")


def parse_horizon(text: str) -> float:
    """``"30d"``, ``"6w"`` or ``"30"`` as days; ``ConfigError`` otherwise.

    Examples
    --------
    >>> parse_horizon("30d"), parse_horizon("2w")
    (30.0, 14.0)
    """
    m = _HORIZON.match(text)
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(
            f"--horizon must be a positive number of days like 30d or 6w. Got {text!r}."
        )
    return float(m.group(1)) * (7.0 if m.group(2) == "w" else 1.0)


def _day(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d}"


def render_forecast(result: ForecastResult, out: Console) -> None:
    """Print the calendar as a table and the retraining recommendation."""
    table = Table(title=f"Confidence calendar (horizon {result.horizon_days:g} days)")
    for col in ("constraint", "segment", "basis", "now", "limit", "status", "expected", "interval"):
        table.add_column(col)
    for r in result.rows:
        seg = f"{r.segment}={r.segment_value}" if r.segment else "all"
        if r.status == "no_crossing":
            expected, interval = "no crossing expected", "-"
        elif r.status == "insufficient_data":
            expected, interval = "-", r.note
        else:
            expected = _day(r.expected)
            interval = f"{_day(r.low)} .. {_day(r.high) if r.high else 'after horizon'}"
        table.add_row(
            r.constraint, seg, r.basis, "-" if r.level is None else f"{r.level:.4g}",
            f"{r.limit:.4g}", r.status, expected, interval,
        )  # fmt: skip
    out.print(table)
    out.print(f"[bold]{result.recommendation}[/]", highlight=False)


@app.command()
def forecast(
    log: str = typer.Argument(..., help="Prediction log: Parquet/CSV file, folder or glob."),
    policy: Path = typer.Option(..., "--policy", help="The policy YAML with the constraints."),
    horizon: str = typer.Option("30d", "--horizon", help="How far ahead to look, e.g. 30d or 6w."),
    reference_end: str | None = typer.Option(
        None, "--reference-end", help="Last day (inclusive) of the reference window."
    ),
    reference: str | None = typer.Option(
        None, "--reference", help="A separate reference log instead of a date range."
    ),
    confidence: float = typer.Option(0.8, "--confidence", help="Coverage of the date intervals."),
    col: list[str] = typer.Option([], "--col", help="Remap a column role, as role=name."),
    config: Path | None = typer.Option(None, "--config", help="A modelward.yaml file."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    system: str | None = typer.Option(
        None, "--system", help="Name of the system in the store (default: the log's name)."
    ),
    store: Path = typer.Option(
        Path(DEFAULT_STORE_PATH), "--store", help="The run store (a DuckDB file)."
    ),
    no_store: bool = typer.Option(False, "--no-store", help="Do not record the forecast."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
) -> None:
    """Forecast when each constrained metric will cross its limit (the confidence calendar)."""
    if fmt not in ("text", "json"):
        raise ConfigError(f"--format must be text or json. Got {fmt!r}.")
    if (reference_end is None) == (reference is None):
        raise ConfigError("Give exactly one of --reference-end DATE or --reference REF_LOG.")
    days = parse_horizon(horizon)
    pol = read_policy(policy)
    summaries = summarise(
        log,
        reference_end=reference_end,
        reference=reference,
        columns=parse_col_options(col),
        config=config,
        segments=pol.segment_columns or None,
    )
    check = run_check(summaries, seed=seed)
    result = forecast_policy(
        check, pol, summaries=summaries, horizon_days=days, confidence=confidence, seed=seed
    )
    if fmt == "json":
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        render_forecast(result, console)
    if not no_store:
        name = system or Path(log.rstrip("/")).stem or "default"
        with Store(store) as st:
            st.save_run(
                system=name, kind="forecast", source=str(log),
                parameters={"log": log, "policy": str(policy), "horizon_days": days,
                            "confidence": confidence, "seed": seed},
                meta={}, results=result.model_dump(mode="json"), tables={},
                status="alert" if result.retrain_before is not None else "ok",
            )  # fmt: skip
