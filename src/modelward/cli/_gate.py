"""``modelward gate`` (release gate for CI) and ``modelward evaluate`` (what errors cost)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from modelward._api import read_policy
from modelward._exceptions import ConfigError
from modelward.analyses.costs import evaluate_costs
from modelward.analyses.gates import GateResult, evaluate_gate
from modelward.analyses.metrics import CostModel
from modelward.cli.app import app
from modelward.engine import Summaries, get_engine
from modelward.io import parse_col_options, read_log
from modelward.report.costs import write_costs_reports
from modelward.report.gate import render_gate, to_json, to_junit

__all__ = ["evaluate", "gate"]

console = Console()


def _summarise(
    log: str, *, reference: str | None, columns: dict[str, str], segments: list[str]
) -> Summaries:
    plog = read_log(log, columns=columns, segments=segments or None)
    ref = None
    if reference is not None:
        ref = read_log(reference, columns=columns, segments=list(plog.segments))
    return get_engine().summarise(plog, reference=ref)


@app.command()
def gate(
    policy: Path = typer.Option(..., "--policy", help="The policy file (policy.yaml)."),
    candidate: str = typer.Option(..., "--candidate", help="Prediction log of the candidate."),
    baseline: str | None = typer.Option(
        None, "--baseline", help="Prediction log of the baseline (the live model)."
    ),
    output_format: str = typer.Option("table", "--format", help="table or json."),
    junit: Path | None = typer.Option(None, "--junit", help="Also write JUnit XML here."),
    col: list[str] = typer.Option([], "--col", help="Remap a column role, as role=name."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap draws."),
) -> None:
    """Release gate: exit 0 pass, 1 a blocking constraint fails, 3 inconclusive, 2 bad input."""
    if output_format not in ("table", "json"):
        raise ConfigError(f"--format must be table or json. Got {output_format!r} instead.")
    pol = read_policy(policy)
    summaries = _summarise(
        candidate,
        reference=baseline,
        columns=parse_col_options(col),
        segments=pol.segment_columns,
    )
    result: GateResult = evaluate_gate(
        summaries, pol, policy_source=str(policy), baseline=baseline, seed=seed
    )
    if output_format == "json":
        typer.echo(to_json(result))
    else:
        render_gate(result, console)
    if junit is not None:
        junit.write_text(to_junit(result), encoding="utf-8")
    raise typer.Exit(result.exit_code)


@app.command()
def evaluate(
    log: str = typer.Argument(..., help="Prediction log: Parquet/CSV file, folder or glob."),
    more: list[str] = typer.Argument(None, help="Further logs (other model versions)."),
    cost: list[str] = typer.Option([], "--cost", help="A cost, as fp=5, fn=120 or tp=10."),
    policy: Path | None = typer.Option(None, "--policy", help="Take the costs from a policy."),
    segment: str | None = typer.Option(None, "--segment", help="Break down by this column."),
    out: Path | None = typer.Option(None, "--out", help="Folder for costs.json/.md/.html."),
    col: list[str] = typer.Option([], "--col", help="Remap a column role, as role=name."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap draws."),
) -> None:
    """What errors cost: confusion, cost curve, cost-optimal threshold, latency vs quality."""
    costs = _cost_model(cost, policy)
    columns = parse_col_options(col)
    probe = read_log(log, columns=columns)
    segs = {c for c in (segment, costs.segment) if c}
    mv = probe.roles.model_version
    if mv and mv in probe.schema:
        segs.add(mv)
    summaries = _summarise(log, reference=None, columns=columns, segments=sorted(segs))
    versions = None
    if more:
        versions = {}
        for path in [log, *more]:
            s = (
                summaries
                if path == log
                else _summarise(path, reference=None, columns=columns, segments=sorted(segs))
            )
            versions[Path(path.rstrip("/")).stem] = (s, ("", ""))
    ev = evaluate_costs(summaries, costs, segment=segment, versions=versions, seed=seed)
    t = Table(title=f"Costs (FP {costs.fp:g}, FN {costs.fn:g}, TP value {costs.tp:g})")
    for c in (
        "segment",
        "n",
        "precision",
        "recall",
        "F1",
        "cost/1000 now",
        "optimal thr",
        "cost/1000 optimal",
        "saving/1000",
    ):
        t.add_column(c)
    for sc in ev.segments:
        t.add_row(
            "all" if not sc.segment else f"{sc.segment}={sc.segment_value}",
            str(sc.n_labelled),
            _num(sc.precision.value, ".3f"),
            _num(sc.recall.value, ".3f"),
            _num(sc.f1.value, ".3f"),
            f"{_num(sc.cost_now_per_1000.value, '.1f')} [{_num(sc.cost_now_per_1000.low, '.1f')}, "
            f"{_num(sc.cost_now_per_1000.high, '.1f')}]",
            f"{_num(sc.optimal_threshold.value, '.3f')} [{_num(sc.optimal_threshold.low, '.3f')}, "
            f"{_num(sc.optimal_threshold.high, '.3f')}]",
            _num(sc.cost_optimal_per_1000, ".1f"),
            _num(sc.saving_per_1000, ".1f"),
        )
    console.print(t)
    if ev.versions:
        v = Table(title="Latency vs quality")
        for c in ("version", "p99 ms", "ROC-AUC", "cost/1000", "dominated"):
            v.add_column(c)
        for p in ev.versions:
            dom = ", ".join(
                k for k, f in (("AUC", p.dominated_auc), ("cost", p.dominated_cost)) if f
            )
            v.add_row(
                p.version,
                _num(p.p99_ms.value, ".1f"),
                _num(p.roc_auc.value, ".3f"),
                _num(p.cost_per_1000.value if p.cost_per_1000 else None, ".1f"),
                dom or "no",
            )
        console.print(v)
    if out is not None:
        paths = write_costs_reports(ev, out)
        console.print("Wrote " + ", ".join(str(p) for p in paths))


def _num(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or a dash when it is undefined.

    An undefined metric (recall with no positives, ROC-AUC with one class)
    must not print as 0, which reads as a measured, terrible value.
    """
    return "—" if value is None else format(value, spec)


def _cost_model(cost: list[str], policy: Path | None) -> CostModel:
    base: dict[str, object] = {}
    if policy is not None:
        pol = read_policy(policy)
        if pol.costs is not None:
            base = pol.costs.model_dump()
    for item in cost:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in ("fp", "fn", "tp"):
            raise ConfigError(f"--cost must be fp=NUMBER, fn=NUMBER or tp=NUMBER. Got {item!r}.")
        try:
            base[key.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--cost {key}: {value!r} is not a number.") from None
    if "fp" not in base or "fn" not in base:
        raise ConfigError("Give both costs: --cost fp=NUMBER --cost fn=NUMBER (or --policy).")
    try:
        return CostModel.model_validate(base)
    except ValueError as exc:
        raise ConfigError(f"Bad cost model: {exc}") from None
