"""The Python API of the retraining diff: what changed between two model versions.

Examples
--------
>>> import pyarrow as pa, pyarrow.compute as pc
>>> from modelward.simulate import simulate
>>> log = simulate(domain="content_moderation", days=6, rows_per_day=300, seed=2).log
>>> res = diff(log, log)
>>> res.mode, res.flip.rate, res.n_shared == log.num_rows
('paired', 0.0, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from modelward._exceptions import ConfigError
from modelward.analyses.diff import DiffResult, analyse_independent, analyse_paired, choose_mode
from modelward.analyses.drift import analyse_drift
from modelward.engine import get_engine
from modelward.engine.paired import DEFAULT_PAIR_BINS, log_counts, paired_counts
from modelward.io import PredictionLog, read_log

__all__ = ["diff"]


def _read(
    source: Any,
    con: duckdb.DuckDBPyConnection,
    *,
    columns: Mapping[str, str] | None,
    config: str | Path | None,
    segments: Sequence[str] | None,
) -> PredictionLog:
    if isinstance(source, PredictionLog):
        return source
    return read_log(source, con=con, columns=columns, config=config, segments=segments)


def diff(
    baseline: Any,
    candidate: Any,
    *,
    segments: Sequence[str] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
    config: str | Path | None = None,
    bins: int = DEFAULT_PAIR_BINS,
    min_shared_fraction: float = 0.5,
    drift: bool = True,
) -> DiffResult:
    """Compare a candidate model version's prediction log with the baseline's.

    When the logs share enough ``prediction_id`` values (at least
    ``min_shared_fraction`` of the smaller log, and 30), the comparison is
    paired on the shared rows: prediction flips overall, per segment and per
    baseline-score band, metric deltas with paired intervals, and the score
    shift. Otherwise the versions are compared as independent samples, and the
    drift of the candidate's input data against the baseline's is added.

    Parameters
    ----------
    baseline, candidate
        Logs (any source :func:`modelward.io.read_log` takes). Two
        :class:`~modelward.io.PredictionLog` objects must share a DuckDB
        connection.
    segments
        Segment columns (default: inferred, those both logs have).
    confidence
        Level of every interval.
    seed
        Seed of the bootstrap draws.
    columns, config
        Column-role mapping and ``modelward.yaml``, applied to both logs.
    bins
        Score bins per version of the paired count table.
    min_shared_fraction
        Share of the smaller log's ids both must hold to pair.
    drift
        In independent mode, also compute the per-feature drift (one more scan
        of each log).

    Returns
    -------
    DiffResult

    Raises
    ------
    ConfigError
        On a bad parameter, a non-binary task, or two logs in different connections.
    LogError
        If a log cannot be read (file, column and first bad row named).
    """
    if not 0.0 <= float(min_shared_fraction) <= 1.0:
        raise ConfigError(
            "The 'min_shared_fraction' parameter of diff must be in [0, 1]. "
            f"Got {min_shared_fraction!r} instead."
        )
    con = (
        baseline.con
        if isinstance(baseline, PredictionLog)
        else candidate.con
        if isinstance(candidate, PredictionLog)
        else duckdb.connect()
    )
    kw: dict[str, Any] = {"columns": columns, "config": config, "segments": segments}
    base = _read(baseline, con, **kw)
    cand = _read(candidate, con, **kw)
    counts = paired_counts(base, cand, segments=segments, bins=bins)
    mode = choose_mode(
        counts.n_baseline, counts.n_candidate, counts.n_shared, min_fraction=min_shared_fraction
    )
    if mode == "paired":
        return analyse_paired(
            counts,
            baseline_source=base.source,
            candidate_source=cand.source,
            confidence=confidence,
            seed=seed,
        )
    features = None
    notes: list[str] = []
    if drift:
        summaries = get_engine("duckdb").summarise(cand, reference=base)
        features = analyse_drift(summaries, multivariate=False).features
        notes.append("Feature drift: the candidate log's inputs against the baseline log's.")
    segs = counts.segments
    return analyse_independent(
        log_counts(base, segments=segs, bins=bins),
        log_counts(cand, segments=segs, bins=bins),
        feature_drift=features,
        n_shared=counts.n_shared,
        baseline_source=base.source,
        candidate_source=cand.source,
        baseline_versions=counts.baseline_versions,
        candidate_versions=counts.candidate_versions,
        confidence=confidence,
        seed=seed,
        notes=notes,
    )
