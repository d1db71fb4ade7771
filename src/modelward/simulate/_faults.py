"""Fault injectors: take any prediction log in the contract, return it faulted.

Every injector works on an Arrow table whose columns follow the roles of
:class:`modelward.io.columns.ColumnRoles`, needs no model, and keeps the
contract honest: rows are re-sampled (covariate drift, prior shift), labels
changed (concept drift, label noise), columns transformed as an upstream
pipeline would (schema change), rows removed (data gap), label arrival moved
(label delay) or latency stretched (latency regression).

The effect at time ``t`` is ``magnitude x ramp(t)`` where ``ramp`` is 0 before
the onset, then 1 (sudden) or rises linearly to 1 over ``gradual_days``; it only
touches rows of ``segment`` when one is given.

Magnitude scales (``magnitude`` in (0, 1]):

=====================  =====================================================
cause                  meaning of magnitude ``m``
=====================  =====================================================
covariate_drift        rows re-sampled with weight ``exp(2.5 m u)`` where ``u`` is
                       the feature's standardised rank (or ``exp(3 m)`` on one
                       category); m = 1 moves the median by about half the range
prior_shift            class odds multiplied (or divided) by ``1 + 9 m``
concept_drift          in the feature's top 30 % region the positive rate is
                       multiplied by ``1 + 4 m`` (up) or ``1 - 0.9 m`` (down)
label_noise            fraction of arriving labels flipped
schema_change          fraction of rows transformed (1 = every row)
data_gap               fraction of the segment's rows removed (1 = all)
label_delay            label delay multiplied by ``1 + 19 m`` (positives) and
                       ``1 + 4 m`` (negatives)
latency_regression     latency multiplied by ``1 + 3 m``
none                   ignored
=====================  =====================================================

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"prediction_id": ["a"], "timestamp": ["2026-01-01T00:00:00"],
...               "prediction": [1], "amount": [3.5], "country": ["US"]})
>>> feature_columns(t, ColumnRoles())
(['amount'], ['country'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from modelward._causes import CAUSES
from modelward._exceptions import SimulationError
from modelward.io.columns import ColumnRoles
from modelward.simulate._table import (
    DAY_US,
    from_us,
    iso_utc,
    mask_unarrived_labels,
    segment_mask,
    times_us,
    us_to_datetime,
)

__all__ = ["FAULTS", "SCHEMA_VARIANTS", "FaultOutcome", "apply_fault", "feature_columns"]

FAULTS: tuple[str, ...] = CAUSES
SCHEMA_VARIANTS: tuple[str, ...] = (
    "unit_x100",
    "unit_x1000",
    "rename_categories",
    "recase_categories",
    "null_flood",
    "sentinel",
    "swap_columns",
)
_VARIANTS: dict[str, tuple[str, ...]] = {
    "covariate_drift": ("up", "down"),
    "prior_shift": ("up", "down"),
    "concept_drift": ("policy", "world"),
    "label_noise": ("all", "source"),
    "schema_change": SCHEMA_VARIANTS,
}
_NULL = np.iinfo(np.int64).min

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass
class FaultOutcome:
    """What an injector did: the faulted table and the facts for the truth file."""

    table: pa.Table
    features: list[str] = field(default_factory=list)
    segment: dict[str, str] | None = None
    variant: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    events: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Ctx:
    table: pa.Table
    roles: ColumnRoles
    rng: np.random.Generator
    m: float
    onset_us: int
    t: npt.NDArray[np.int64]
    ramp: FloatArray
    seg: BoolArray
    features: list[str] | None
    variant: str | None
    label_source: str | None
    classes: BoolArray | None

    @property
    def post(self) -> BoolArray:
        return np.asarray(self.t >= self.onset_us)

    def draw(self, p: FloatArray | float) -> BoolArray:
        """Rows hit with probability ``p x ramp`` inside the segment."""
        return np.asarray(self.seg & (self.rng.random(self.t.size) < p * self.ramp))


def feature_columns(table: pa.Table, roles: ColumnRoles) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns (every column that holds no role)."""
    taken = roles.resolve(table.column_names).role_columns()
    numeric, categorical = [], []
    for f in table.schema:
        if f.name in taken:
            continue
        if pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            numeric.append(f.name)
        elif (
            pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or (pa.types.is_dictionary(f.type))
        ):
            categorical.append(f.name)
    return numeric, categorical


def _col(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)


def _set(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _floats(table: pa.Table, name: str) -> FloatArray:
    arr = pc.cast(_col(table, name), pa.float64())
    return np.asarray(pc.fill_null(arr, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def _text(table: pa.Table, name: str) -> pa.ChunkedArray:
    return pc.cast(_col(table, name), pa.string())


def _need(role: str, column: str | None, fault: str) -> str:
    if column is None:
        raise SimulationError(f"{fault} needs the {role!r} role but the log has no such column.")
    return column


def _pick(ctx: _Ctx, candidates: Sequence[str], kind: str, fault: str) -> list[str]:
    if ctx.features:
        missing = [f for f in ctx.features if f not in candidates]
        if missing:
            raise SimulationError(
                f"{fault}: {missing[0]!r} is not a {kind} feature of the log. "
                f"{kind.capitalize()} features: {', '.join(candidates) or 'none'}."
            )
        return list(ctx.features)
    if not candidates:
        raise SimulationError(f"{fault} needs a {kind} feature but the log has none.")
    return [candidates[int(ctx.rng.integers(len(candidates)))]]


def _labels(ctx: _Ctx, fault: str) -> tuple[str, FloatArray]:
    label = _need("label", ctx.roles.label, fault)
    y = _floats(ctx.table, label)
    seen = np.unique(y[np.isfinite(y)])
    if not np.isin(seen, (0.0, 1.0)).all():
        raise SimulationError(f"{fault} needs 0/1 labels; column {label!r} holds {seen[:5]}.")
    return label, y


def _write_labels(table: pa.Table, label: str, y: FloatArray) -> pa.Table:
    like = table.schema.field(label).type
    arr = pa.array(np.nan_to_num(y, nan=0.0), mask=~np.isfinite(y))
    arr = pc.cast(pc.cast(arr, pa.int64()), like) if not pa.types.is_floating(like) else arr
    return _set(table, label, pc.cast(arr, like))


def _replace_rows(
    ctx: _Ctx, slots: npt.NDArray[np.int64], sources: npt.NDArray[np.int64]
) -> pa.Table:
    """Copy the content of ``sources`` rows into ``slots``, keeping each slot's id and time."""
    table = ctx.table
    idx = np.arange(table.num_rows, dtype=np.int64)
    idx[slots] = sources
    out = table.take(pa.array(idx))
    for role in ("id", "time"):
        name = getattr(ctx.roles, role)
        if name is not None and name in table.column_names:
            out = _set(out, name, _col(table, name))
    lt_name = ctx.roles.label_time
    if lt_name is not None:
        lt = times_us(table, lt_name)
        valid = lt != _NULL
        lag = np.where(valid, lt - ctx.t, 0)
        new_lt, new_valid = lt.copy(), valid.copy()
        new_lt[slots] = ctx.t[slots] + lag[sources]
        new_valid[slots] = valid[sources]
        out = _set(out, lt_name, from_us(new_lt, new_valid, table.schema.field(lt_name).type))
    return out


def _rank_score(x: FloatArray) -> FloatArray:
    """Standardised rank in [-sqrt(3), sqrt(3)]; nulls score 0."""
    ok = np.isfinite(x)
    u = np.zeros(x.size)
    order = np.argsort(x[ok], kind="stable")
    ranks = np.empty(order.size)
    ranks[order] = np.arange(order.size)
    u[ok] = ((ranks + 0.5) / max(order.size, 1) - 0.5) * np.sqrt(12.0)
    return u


def _covariate_drift(ctx: _Ctx) -> FaultOutcome:
    numeric, categorical = feature_columns(ctx.table, ctx.roles)
    feats = _pick(
        ctx, numeric + categorical if ctx.features else numeric, "numeric", "covariate_drift"
    )
    variant = ctx.variant or ("up" if ctx.rng.random() < 0.5 else "down")
    sign = 1.0 if variant == "up" else -1.0
    tilt = np.zeros(ctx.t.size)
    details: dict[str, object] = {"beta": 2.5 * ctx.m}
    for f in feats:
        if f in categorical:
            text = _text(ctx.table, f)
            counts = pc.value_counts(text).to_pylist()
            cats = sorted(str(c["values"]) for c in counts if c["values"] is not None)
            target = cats[int(ctx.rng.integers(len(cats)))]
            hit = np.asarray(
                pc.fill_null(pc.equal(text, target), False).to_numpy(zero_copy_only=False)
            )
            tilt += sign * 3.0 * ctx.m * hit
            details[f"{f}_category"] = target
        else:
            tilt += sign * 2.5 * ctx.m * _rank_score(_floats(ctx.table, f)) / np.sqrt(len(feats))
    pool = np.flatnonzero(ctx.post & ctx.seg)
    if pool.size == 0:
        raise SimulationError("covariate_drift: no row after the onset in the segment.")
    w = np.exp(tilt[pool] - tilt[pool].max())
    slots = np.flatnonzero(ctx.draw(1.0))
    sources = pool[ctx.rng.choice(pool.size, size=slots.size, p=w / w.sum())]
    return FaultOutcome(_replace_rows(ctx, slots, sources), feats, variant=variant, details=details)


def _classes(ctx: _Ctx, fault: str) -> BoolArray | FloatArray:
    """True class per row: given, else the label, else a draw from the score (NaN: unknown)."""
    if ctx.classes is not None:
        return ctx.classes
    _, y = _labels(ctx, fault)
    if ctx.roles.score is not None:
        s = _floats(ctx.table, ctx.roles.score)
        guess = (ctx.rng.random(y.size) < s).astype(np.float64)
        y = np.where(np.isfinite(y), y, np.where(np.isfinite(s), guess, np.nan))
    return y


def _prior_shift(ctx: _Ctx) -> FaultOutcome:
    c = np.asarray(_classes(ctx, "prior_shift"), dtype=np.float64)
    known = np.isfinite(c)
    pool = ctx.post & ctx.seg & known
    pos, neg = np.flatnonzero(pool & (c == 1)), np.flatnonzero(pool & (c == 0))
    if pos.size == 0 or neg.size == 0:
        raise SimulationError("prior_shift needs both classes after the onset in the segment.")
    variant = ctx.variant or ("up" if ctx.rng.random() < 0.7 else "down")
    factor = (1 + 9 * ctx.m) if variant == "up" else 1 / (1 + 9 * ctx.m)
    p0 = pos.size / (pos.size + neg.size)
    odds = p0 / (1 - p0) * factor
    p1 = odds / (1 + odds)
    slots = np.flatnonzero(ctx.draw(1.0))
    is_pos = ctx.rng.random(slots.size) < p1
    sources = np.where(
        is_pos,
        pos[ctx.rng.integers(pos.size, size=slots.size)],
        neg[ctx.rng.integers(neg.size, size=slots.size)],
    )
    return FaultOutcome(
        _replace_rows(ctx, slots, sources),
        [],
        variant=variant,
        details={"odds_factor": factor, "rate_before": p0, "rate_after": p1},
    )


def _concept_drift(ctx: _Ctx) -> FaultOutcome:
    label, y = _labels(ctx, "concept_drift")
    numeric, categorical = feature_columns(ctx.table, ctx.roles)
    (feat,) = _pick(
        ctx, numeric + categorical if ctx.features else numeric, "numeric", "concept_drift"
    )[:1]
    details: dict[str, object] = {}
    if feat in categorical:
        text = _text(ctx.table, feat)
        cats = sorted(str(v) for v in pc.unique(text).drop_null().to_pylist())
        target = cats[int(ctx.rng.integers(len(cats)))]
        region = np.asarray(
            pc.fill_null(pc.equal(text, target), False).to_numpy(zero_copy_only=False)
        )
        details["region"] = f"{feat} == {target!r}"
    else:
        x = _floats(ctx.table, feat)
        before = x[~ctx.post & np.isfinite(x)]
        base = before if before.size else x[np.isfinite(x)]
        cut = float(np.quantile(base, 0.7))
        strict = bool(np.mean(base >= cut) > 0.5)  # discrete feature: ties at the cut
        filled = np.nan_to_num(x, nan=-np.inf)
        region = filled > cut if strict else filled >= cut
        details["region"] = f"{feat} {'>' if strict else '>='} {cut:.6g}"
    labelled = np.isfinite(y)
    upward = ctx.rng.random() < 0.5 if ctx.variant != "policy" else True
    variant = ctx.variant or ("policy" if ctx.rng.random() < 0.5 else "world")
    here = region & labelled & ctx.post & ctx.seg
    r = float(y[here].mean()) if here.any() else 0.0
    if upward:
        r_new = min(0.95, r * (1 + 4 * ctx.m) if r > 0 else 0.2 * ctx.m)
        q = (r_new - r) / (1 - r)
        flip = region & labelled & (y == 0) & ctx.draw(q)
    else:
        r_new, q = r * (1 - 0.9 * ctx.m), 0.9 * ctx.m
        flip = region & labelled & (y == 1) & ctx.draw(q)
    y = np.where(flip, 1.0 - y, y)
    details.update(
        direction="up" if upward else "down",
        rate_before=r,
        rate_after=r_new,
        flipped=int(flip.sum()),
    )
    events = []
    if variant == "policy":
        events.append(
            {
                "timestamp": iso_utc(us_to_datetime(ctx.onset_us)),
                "kind": "labeling_policy_change",
                "description": "labeling guidelines v3 rolled out to all reviewers",
            }
        )
    return FaultOutcome(
        _write_labels(ctx.table, label, y), [feat], variant=variant, details=details, events=events
    )


def _label_noise(ctx: _Ctx) -> FaultOutcome:
    label, y = _labels(ctx, "label_noise")
    src_col = ctx.roles.label_source
    variant = ctx.variant or ("all" if src_col is None or ctx.rng.random() < 0.5 else "source")
    eligible = np.isfinite(y)
    source = ctx.label_source
    if variant == "source":
        src_col = _need("label_source", src_col, "label_noise")
        text = _text(ctx.table, src_col)
        if source is None:
            names = sorted(str(v) for v in pc.unique(text).drop_null().to_pylist())
            source = names[int(ctx.rng.integers(len(names)))]
        eligible &= np.asarray(
            pc.fill_null(pc.equal(text, source), False).to_numpy(zero_copy_only=False)
        )
    flip = eligible & ctx.draw(ctx.m)
    y = np.where(flip, 1.0 - y, y)
    details: dict[str, object] = {"fraction": ctx.m, "flipped": int(flip.sum())}
    if variant == "source":
        details["label_source"] = source
    return FaultOutcome(_write_labels(ctx.table, label, y), [], variant=variant, details=details)


def _schema_change(ctx: _Ctx) -> FaultOutcome:
    numeric, categorical = feature_columns(ctx.table, ctx.roles)
    feasible = [
        v
        for v in SCHEMA_VARIANTS
        if (v in ("rename_categories", "recase_categories") and categorical)
        or (v == "swap_columns" and len(numeric) >= 2)
        or (v in ("unit_x100", "unit_x1000", "sentinel") and numeric)
        or v == "null_flood"
    ]
    variant = ctx.variant or feasible[int(ctx.rng.integers(len(feasible)))]
    if variant not in feasible:
        raise SimulationError(
            f"schema_change variant {variant!r} does not fit this log's "
            f"features. Possible: {', '.join(feasible)}."
        )
    hit = ctx.draw(ctx.m)
    mask = pa.array(hit)
    table = ctx.table
    details: dict[str, object] = {"rows": int(hit.sum())}
    if variant in ("rename_categories", "recase_categories"):
        (feat,) = _pick(ctx, categorical, "categorical", "schema_change")[:1]
        text = _text(table, feat)
        cats = sorted(str(v) for v in pc.unique(text).drop_null().to_pylist())
        if variant == "recase_categories":
            new = [c.lower() if c.isupper() else c.upper() for c in cats]
        else:
            new = [f"{feat.upper()}_{i:02d}" for i in range(len(cats))]
        mapped = pc.take(pa.array(new), pc.index_in(text, value_set=pa.array(cats)))
        table = _set(table, feat, pc.if_else(mask, mapped, text))
        details["mapping"] = dict(zip(cats, new, strict=True))
        feats = [feat]
    elif variant == "swap_columns":
        feats = _pick(ctx, numeric, "numeric", "schema_change")
        if len(feats) < 2:
            others = [f for f in numeric if f != feats[0]]
            feats.append(others[int(ctx.rng.integers(len(others)))])
        a, b = feats[:2]
        ca, cb = pc.cast(_col(table, a), pa.float64()), pc.cast(_col(table, b), pa.float64())
        table = _set(table, a, pc.if_else(mask, cb, ca))
        table = _set(table, b, pc.if_else(mask, ca, cb))
        feats = [a, b]
    else:
        kinds = numeric + categorical if variant == "null_flood" else numeric
        (feat,) = _pick(ctx, kinds, "numeric", "schema_change")[:1]
        col = _col(table, feat)
        if variant == "null_flood":
            new_col = pc.if_else(mask, pa.scalar(None, type=col.type), col)
        elif variant == "sentinel":
            new_col = pc.if_else(mask, pa.scalar(-999, type=col.type), col)
            details["sentinel"] = -999
        else:
            factor = 100 if variant == "unit_x100" else 1000
            new_col = pc.if_else(mask, pc.multiply(col, pa.scalar(factor, type=col.type)), col)
            details["factor"] = factor
        table = _set(table, feat, new_col)
        feats = [feat]
    return FaultOutcome(table, feats, variant=variant, details=details)


def _data_gap(ctx: _Ctx) -> FaultOutcome:
    segment: dict[str, str] | None = None
    if ctx.seg.all():
        _, categorical = feature_columns(ctx.table, ctx.roles)
        options = []
        for f in categorical:
            counts = pc.value_counts(_text(ctx.table, f)).to_pylist()
            shares = {
                str(c["values"]): c["counts"] / ctx.t.size
                for c in counts
                if c["values"] is not None
            }
            if 2 <= len(shares) <= 50:
                top = max(shares.values())
                options += [(f, v) for v, s in sorted(shares.items()) if 0.02 <= s < top]
        if not options:
            raise SimulationError(
                "data_gap needs a segment (--segment col=value): the log has "
                "no categorical feature to choose one from."
            )
        col, val = options[int(ctx.rng.integers(len(options)))]
        segment = {col: val}
        ctx.seg = segment_mask(ctx.table, segment)
    gone = ctx.draw(ctx.m)
    table = ctx.table.filter(pa.array(~gone))
    return FaultOutcome(table, [], segment=segment, details={"rows_removed": int(gone.sum())})


def _label_delay(ctx: _Ctx) -> FaultOutcome:
    lt_name = _need("label_time", ctx.roles.label_time, "label_delay")
    lt = times_us(ctx.table, lt_name)
    valid = lt != _NULL
    c = np.asarray(_classes(ctx, "label_delay"), dtype=np.float64)
    big = np.where(c == 1, 1 + 19 * ctx.m, 1 + 4 * ctx.m)
    factor = np.where(ctx.seg, 1 + (big - 1) * ctx.ramp, 1.0)
    lag = np.where(valid, lt - ctx.t, 0).astype(np.float64)
    new_lt = ctx.t + np.round(lag * factor).astype(np.int64)
    table = _set(ctx.table, lt_name, from_us(new_lt, valid, ctx.table.schema.field(lt_name).type))
    return FaultOutcome(
        table, [], details={"factor_positive": 1 + 19 * ctx.m, "factor_negative": 1 + 4 * ctx.m}
    )


def _latency_regression(ctx: _Ctx) -> FaultOutcome:
    name = _need("latency", ctx.roles.latency, "latency_regression")
    col = pc.cast(_col(ctx.table, name), pa.float64())
    factor = np.where(ctx.seg, 1 + 3 * ctx.m * ctx.ramp, 1.0)
    new = pc.multiply(col, pa.array(factor))
    new = pc.cast(new, ctx.table.schema.field(name).type, safe=False)
    return FaultOutcome(_set(ctx.table, name, new), [], details={"factor": 1 + 3 * ctx.m})


def _none(ctx: _Ctx) -> FaultOutcome:
    return FaultOutcome(ctx.table)


_INJECTORS = {
    "covariate_drift": _covariate_drift,
    "prior_shift": _prior_shift,
    "concept_drift": _concept_drift,
    "label_noise": _label_noise,
    "schema_change": _schema_change,
    "data_gap": _data_gap,
    "label_delay": _label_delay,
    "latency_regression": _latency_regression,
    "none": _none,
}


def apply_fault(
    table: pa.Table,
    *,
    fault: str,
    roles: ColumnRoles,
    magnitude: float,
    onset_us: int,
    segment: Mapping[str, str] | None,
    gradual_days: float,
    as_of_us: int,
    rng: np.random.Generator,
    features: Sequence[str] | None = None,
    variant: str | None = None,
    label_source: str | None = None,
    classes: BoolArray | None = None,
) -> FaultOutcome:
    """Inject one fault into ``table`` and cut label arrival at ``as_of_us``.

    ``roles`` must already be resolved against the table. ``classes`` (the true
    class of every row) replaces the label where the simulator knows it.
    """
    if fault not in _INJECTORS:
        raise SimulationError(f"Unknown fault {fault!r}. Faults: {', '.join(FAULTS)}.")
    if variant is not None and variant not in _VARIANTS.get(fault, ()):
        valid = _VARIANTS.get(fault, ())
        raise SimulationError(
            f"Unknown variant {variant!r} of {fault}. "
            + (f"Variants: {', '.join(valid)}." if valid else f"{fault} has no variants.")
        )
    time_col = _need("time", roles.time, fault)
    if time_col not in table.column_names:
        raise SimulationError(f"The log has no time column {time_col!r}.")
    t = times_us(table, time_col)
    if (t == _NULL).any():
        row = int(np.flatnonzero(t == _NULL)[0])
        raise SimulationError(f"column {time_col!r}, row {row}: null timestamp.")
    if gradual_days > 0:
        ramp = np.clip((t - onset_us) / (gradual_days * DAY_US), 0.0, 1.0)
    else:
        ramp = (t >= onset_us).astype(np.float64)
    ctx = _Ctx(
        table=table,
        roles=roles,
        rng=rng,
        m=float(magnitude),
        onset_us=onset_us,
        t=t,
        ramp=ramp,
        seg=segment_mask(table, segment),
        features=list(features) if features else None,
        variant=variant,
        label_source=label_source,
        classes=classes,
    )
    out = _INJECTORS[fault](ctx)
    if out.segment is None and segment:
        out.segment = dict(segment)
    out.table = mask_unarrived_labels(
        out.table, label=roles.label, label_time=roles.label_time, as_of_us=as_of_us
    )
    return out
