"""What every scorer reads: the summaries, the time axis, and cached daily cubes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from modelward.analyses.triage.signals import Days, FloatArray, column, cube, select
from modelward.engine.summaries import Summaries

__all__ = ["Context"]


@dataclass
class Context:
    """Summaries plus the day axis (reference first) and the ``as_of`` instant."""

    summaries: Summaries
    days: Days
    as_of: np.datetime64
    _cache: dict[tuple[Any, ...], FloatArray] = field(default_factory=dict)
    _fc: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @classmethod
    def build(cls, summaries: Summaries, as_of: np.datetime64 | None = None) -> Context:
        """Axis from the ``volume`` table; ``as_of`` defaults to the end of the last bucket."""
        vol = summaries.table("volume")
        days = Days.from_table(vol, summaries.meta.bucket)
        end: np.datetime64 = as_of if as_of is not None else days.starts.max() + days.width
        return cls(summaries, days, end.astype("datetime64[us]"))

    @property
    def start(self) -> int:
        """First current bucket (where an onset may be)."""
        return self.days.n_ref

    @property
    def current(self) -> np.ndarray:
        """Mask of current buckets."""
        return ~self.days.ref

    def table(
        self, name: str, *, segment: str = "", value: str | None = "", **eq: object
    ) -> pa.Table:
        """One summaries table restricted to a segment key and equalities."""
        return select(self.summaries.table(name), segment=segment, value=value, **eq)

    def vol(self, col: str, *, segment: str = "", value: str = "") -> FloatArray:
        """Daily sums of a ``volume`` column for one segment key."""
        key = ("vol", col, segment, value)
        if key not in self._cache:
            self._cache[key] = cube(
                self.table("volume", segment=segment, value=value), self.days, col
            )
        return self._cache[key]

    def positive_weight(self) -> FloatArray | None:
        """Per bucket, the positive-class weight of P(score) (cached; None without scores)."""
        key = ("pi",)
        if key not in self._cache:
            from modelward.analyses.triage.causes_xy import daily_positive_weight

            pi = daily_positive_weight(self)
            if pi is None:
                return None
            self._cache[key] = pi
        return self._cache[key]

    def label_offset(self) -> FloatArray | None:
        """Per bucket, the log-odds tilt of labelled rows toward positives from label arrival.

        A bucket of age ``a`` holds the labels of class ``k`` that arrived
        within ``a``: a share ``F_k(a)`` of the reference's lag distribution. Its
        labelled rows are tilted toward the positive class by
        ``log F_1(a) / F_0(a)``, against the reference buckets' own tilt. None
        without labels of both classes in the reference.
        """
        key = ("label_offset",)
        if key not in self._cache:
            from modelward.analyses.triage.causes_system import arrived_share

            f1, f0 = arrived_share(self, 1), arrived_share(self, 0)
            if f1 is None or f0 is None:
                return None
            tilt = np.log(np.clip(f1, 0.02, 1.0) / np.clip(f0, 0.02, 1.0))
            lab = self.vol("n_labelled")
            ref = self.days.ref
            base = float((tilt[ref] * lab[ref]).sum() / max(lab[ref].sum(), 1e-300))
            self._cache[key] = np.clip(tilt - base, -4.0, 4.0)
        return self._cache[key]

    def segment_items(self) -> Iterator[tuple[str, str]]:
        """``(column, value)`` of every segment column with at least two values seen."""
        for col in self.summaries.meta.segments:
            vals = self.segment_values(col)
            if len(vals) >= 2:
                yield from ((col, v) for v in vals)

    def segment_values(self, segment: str) -> list[str]:
        """Values of a segment column seen in the ``volume`` table."""
        vals = column(self.table("volume", segment=segment, value=None), "segment_value")
        return sorted({str(v) for v in vals})

    def features(self, kind: str) -> list[str]:
        """Feature names of one kind (``numeric`` or ``categorical``)."""
        return [f["name"] for f in self.summaries.meta.features if f["kind"] == kind]
