"""The public entry points: :func:`simulate` a system with a fault, :func:`inject` into a log.

Examples
--------
>>> r = simulate(domain="churn", fault="latency_regression", magnitude=0.5, days=9,
...              rows_per_day=100, seed=3)
>>> r.truth["cause"], r.truth["onset"], r.truth["reference_end"]
('latency_regression', '2026-01-06T00:00:00Z', '2026-01-03')
>>> faulted, truth = inject(r.log, fault="data_gap", segment="plan=basic", seed=1,
...                         onset="2026-01-06")
>>> truth["segment"], faulted.num_rows < r.log.num_rows
({'plan': 'basic'}, True)
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelward._exceptions import ConfigError, SimulationError
from modelward.io.columns import ColumnRoles
from modelward.simulate._domains import DOMAINS
from modelward.simulate._faults import FAULTS, apply_fault
from modelward.simulate._system import decoy_events, generate_system
from modelward.simulate._table import (
    DAY_US,
    instant_us,
    iso_utc,
    parse_instant,
    parse_segment,
    times_us,
    us_to_datetime,
)

__all__ = ["DEFAULT_START", "SimulationResult", "default_onset_day", "inject", "simulate"]

#: First simulated day unless ``start`` is given.
DEFAULT_START = date(2026, 1, 1)


@dataclass
class SimulationResult:
    """A simulated (or injected) log with its events and ground truth.

    Attributes
    ----------
    log
        The prediction log (labels null until they arrive by ``truth['as_of']``).
    events
        Events (deploys, config changes, announced policy changes): dicts with
        ``timestamp``, ``kind``, ``description``, ordered by time.
    truth
        What was injected: cause, onset, segment, features, as_of,
        reference_end, details and every parameter.
    """

    log: pa.Table
    events: list[dict[str, str]] = field(default_factory=list)
    truth: dict[str, object] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``log.parquet``, ``events.csv`` and ``truth.json`` into ``out_dir``.

        Returns
        -------
        dict
            ``{"log": path, "events": path, "truth": path}``.
        """
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SimulationError(f"{out}: cannot create output folder: {exc.strerror}") from exc
        paths = {
            "log": out / "log.parquet",
            "events": out / "events.csv",
            "truth": out / "truth.json",
        }
        pq.write_table(self.log, paths["log"], compression="zstd")
        with paths["events"].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["timestamp", "kind", "description"])
            writer.writeheader()
            writer.writerows(self.events)
        paths["truth"].write_text(json.dumps(self.truth, indent=2) + "\n", encoding="utf-8")
        return paths


def _check_common(fault: str, magnitude: float, gradual_days: float) -> None:
    if fault not in FAULTS:
        raise ConfigError(f"Unknown fault {fault!r}. Faults: {', '.join(FAULTS)}.")
    if not (isinstance(magnitude, int | float) and 0 < magnitude <= 1):
        raise ConfigError(
            f"The 'magnitude' parameter must be a number in (0, 1]. Got {magnitude!r} instead."
        )
    if not (isinstance(gradual_days, int | float) and gradual_days >= 0):
        raise ConfigError(
            f"The 'gradual_days' parameter must be a number >= 0. Got {gradual_days!r} instead."
        )


def default_onset_day(rng: np.random.Generator, days: int) -> int:
    """A day after the reference third and before the last quarter."""
    ref = max(1, days // 3)
    hi = max(ref + 1, days - max(1, days // 4))
    return int(rng.integers(ref, hi))


def _sorted_events(events: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(events, key=lambda e: (e["timestamp"], e["kind"], e["description"]))


def simulate(
    *,
    domain: str = "fraud",
    fault: str = "none",
    magnitude: float = 0.5,
    onset_day: int | None = None,
    segment: str | Mapping[str, str] | None = None,
    gradual_days: float = 0.0,
    days: int = 42,
    rows_per_day: int = 2000,
    seed: int = 0,
    start: date | datetime | str = DEFAULT_START,
    features: Sequence[str] | None = None,
    variant: str | None = None,
    label_source: str | None = None,
) -> SimulationResult:
    """Simulate a production ML system with one injected fault.

    Parameters
    ----------
    domain
        One of :data:`DOMAINS` (``fraud``, ``content_moderation``, ``loan_default``, ``churn``).
    fault
        One of :data:`FAULTS`; see :mod:`modelward.simulate._faults` for magnitude scales.
    magnitude
        Size of the fault in (0, 1]: 0.1 is subtle, 1 is obvious.
    onset_day
        Day index (0-based) the fault starts; default a seeded day after the reference third.
    segment
        ``"col=value"`` or ``{col: value}``: fault only that segment.
    gradual_days
        Ramp the effect linearly over this many days (0 = sudden).
    days, rows_per_day
        Length of the log and average daily volume.
    seed
        Seed of every random draw: same seed, byte-identical log.
    start
        First day (UTC).
    features, variant, label_source
        Optional fault details: features to drift, variant (e.g. ``unit_x100``), a
        label source to corrupt.

    Raises
    ------
    ConfigError
        On an unknown domain or fault, or a parameter out of range.
    """
    if domain not in DOMAINS:
        raise ConfigError(f"Unknown domain {domain!r}. Domains: {', '.join(sorted(DOMAINS))}.")
    _check_common(fault, magnitude, gradual_days)
    for name, value, low in (("days", days, 3), ("rows_per_day", rows_per_day, 10)):
        if not isinstance(value, int) or value < low:
            raise ConfigError(
                f"The {name!r} parameter must be an int >= {low}. Got {value!r} instead."
            )
    seg = parse_segment(segment)
    dom = DOMAINS[domain]
    if seg is not None:
        ((col, _val),) = seg.items()
        if col not in dom.segments:
            raise ConfigError(
                f"Segment column {col!r} is not a segment of {domain}. "
                f"Segments: {', '.join(dom.segments)}."
            )
    start_day = parse_instant(start).date()
    fault_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    system = generate_system(
        domain=dom, days=days, rows_per_day=rows_per_day, seed=seed, start=start_day
    )
    rng = np.random.default_rng(fault_seed)
    if onset_day is None:
        onset_day = default_onset_day(rng, days)
    if not isinstance(onset_day, int) or not 1 <= onset_day < days:
        raise ConfigError(
            f"The 'onset_day' parameter must be an int in [1, {days - 1}]. "
            f"Got {onset_day!r} instead."
        )
    onset_us = system.start_us + onset_day * DAY_US
    if features is None and fault == "covariate_drift":
        k = 1 + int(magnitude > 0.6)
        features = list(dom.drift_features[:k])
    elif features is None and fault == "concept_drift":
        features = [dom.concept_feature]
    if fault == "label_noise" and label_source is None and variant == "source":
        label_source = dom.positive_labels.sources[0]
    roles = ColumnRoles().resolve(system.log.column_names)
    out = apply_fault(
        system.log,
        fault=fault,
        roles=roles,
        magnitude=magnitude,
        onset_us=onset_us,
        segment=seg,
        gradual_days=gradual_days,
        as_of_us=system.as_of_us,
        rng=rng,
        features=features,
        variant=variant,
        label_source=label_source,
        classes=system.y if fault in ("prior_shift", "label_delay") else None,
    )
    log = out.table
    if fault == "schema_change":  # the served model sees the broken inputs
        score = np.round(system.model.score(log), 6)
        log = log.set_column(log.schema.get_field_index("score"), "score", pa.array(score))
        log = log.set_column(
            log.schema.get_field_index("prediction"),
            "prediction",
            pa.array((score >= system.threshold).astype(np.int64)),
        )
    events = list(system.events) + out.events
    if fault == "schema_change" and rng.random() < 0.5:
        events.append(
            {
                "timestamp": iso_utc(
                    us_to_datetime(onset_us - int(rng.integers(1, 6 * 3_600)) * 1_000_000)
                ),
                "kind": "data_source_change",
                "description": "upstream feature pipeline migrated to new ingestion job",
            }
        )
    params: dict[str, object] = {
        "domain": domain,
        "fault": fault,
        "magnitude": magnitude,
        "onset_day": onset_day,
        "segment": seg,
        "gradual_days": gradual_days,
        "days": days,
        "rows_per_day": rows_per_day,
        "seed": seed,
        "start": start_day.isoformat(),
        "features": list(features) if features else None,
        "variant": out.variant,
        "label_source": label_source,
    }
    truth = _truth(
        fault=fault,
        onset_us=onset_us,
        out_segment=out.segment,
        features=out.features,
        as_of_us=system.as_of_us,
        reference_end=start_day + timedelta(days=system.reference_days - 1),
        variant=out.variant,
        details=out.details,
        params=params,
    )
    truth["serving_threshold"] = system.threshold
    truth["rows"] = log.num_rows
    return SimulationResult(log=log, events=_sorted_events(events), truth=truth)


def _truth(
    *,
    fault: str,
    onset_us: int,
    out_segment: dict[str, str] | None,
    features: list[str],
    as_of_us: int,
    reference_end: date,
    variant: str | None,
    details: dict[str, object],
    params: dict[str, object],
) -> dict[str, object]:
    return {
        "cause": fault,
        "onset": None if fault == "none" else iso_utc(us_to_datetime(onset_us)),
        "segment": out_segment,
        "features": features,
        "as_of": iso_utc(us_to_datetime(as_of_us)),
        "reference_end": reference_end.isoformat(),
        "variant": variant,
        "details": _jsonable(details),
        "parameters": params,
    }


def _jsonable(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def inject(
    log: pa.Table,
    *,
    fault: str,
    magnitude: float = 0.5,
    onset: date | datetime | str | None = None,
    segment: str | Mapping[str, str] | None = None,
    gradual_days: float = 0.0,
    roles: ColumnRoles | Mapping[str, str] | None = None,
    as_of: date | datetime | str | None = None,
    seed: int = 0,
    features: Sequence[str] | None = None,
    variant: str | None = None,
    label_source: str | None = None,
) -> tuple[pa.Table, dict[str, object]]:
    """Inject one fault into any prediction log (a user's real one too).

    Parameters
    ----------
    log
        An Arrow table in the prediction-log contract.
    fault, magnitude, segment, gradual_days, features, variant, label_source
        As in :func:`simulate`.
    onset
        When the fault starts; default midnight of a seeded day after the
        first third of the log's days.
    roles
        Column roles (or a role -> column mapping) when the log's names differ.
    as_of
        Labels arriving after this instant are nulled; default the later of the
        end of the last prediction day and the last label arrival.
    seed
        Seed of every random draw.

    Returns
    -------
    (pyarrow.Table, dict)
        The faulted log and the truth (``truth['events']`` lists the events to
        publish, decoys included).
    """
    _check_common(fault, magnitude, gradual_days)
    if not isinstance(log, pa.Table):
        raise ConfigError(f"inject needs a pyarrow.Table. Got {type(log).__name__} instead.")
    if log.num_rows == 0:
        raise SimulationError("Cannot inject into an empty log.")
    base = roles if isinstance(roles, ColumnRoles) else ColumnRoles.from_mapping(roles)
    resolved = base.resolve(log.column_names)
    rng = np.random.default_rng(seed)
    time_col = resolved.time or "timestamp"
    if time_col not in log.column_names:
        raise SimulationError(
            f"The log has no time column {time_col!r}. Map it with --col time=NAME."
        )
    t = times_us(log, time_col)
    valid_t = t[t != np.iinfo(np.int64).min]
    day0 = int(valid_t.min() // DAY_US * DAY_US)
    end = int((valid_t.max() // DAY_US + 1) * DAY_US)
    days = max(1, (end - day0) // DAY_US)
    if as_of is None:
        as_of_us = end
        if resolved.label_time is not None:
            lt = times_us(log, resolved.label_time)
            lt = lt[lt != np.iinfo(np.int64).min]
            as_of_us = max(as_of_us, int(lt.max())) if lt.size else as_of_us
    else:
        as_of_us = instant_us(parse_instant(as_of))
    onset_us = (
        day0 + default_onset_day(rng, max(days, 2)) * DAY_US
        if onset is None
        else instant_us(parse_instant(onset))
    )
    out = apply_fault(
        log,
        fault=fault,
        roles=resolved,
        magnitude=magnitude,
        onset_us=onset_us,
        segment=parse_segment(segment),
        gradual_days=gradual_days,
        as_of_us=as_of_us,
        rng=rng,
        features=features,
        variant=variant,
        label_source=label_source,
    )
    events = _sorted_events(out.events + decoy_events(rng, start_us=day0, end_us=end))
    params: dict[str, object] = {
        "fault": fault,
        "magnitude": magnitude,
        "onset": iso_utc(us_to_datetime(onset_us)),
        "segment": parse_segment(segment),
        "gradual_days": gradual_days,
        "seed": seed,
        "roles": {k: v for k, v in resolved.as_dict().items() if v is not None},
        "features": list(features) if features else None,
        "variant": out.variant,
        "label_source": label_source,
    }
    ref_days = max(1, days // 3)
    truth = _truth(
        fault=fault,
        onset_us=onset_us,
        out_segment=out.segment,
        features=out.features,
        as_of_us=as_of_us,
        reference_end=(us_to_datetime(day0) + timedelta(days=ref_days - 1)).date(),
        variant=out.variant,
        details=out.details,
        params=params,
    )
    truth["events"] = events
    truth["rows"] = out.table.num_rows
    return out.table, truth


def as_result(table: pa.Table, truth: dict[str, object]) -> SimulationResult:
    """Wrap an :func:`inject` outcome so it can be written like a simulation."""
    events = truth.get("events", [])
    assert isinstance(events, list)
    return SimulationResult(log=table, events=events, truth=truth)
