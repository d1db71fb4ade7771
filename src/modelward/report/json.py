"""``report.json``: a :class:`~modelward.analyses.results.CheckResult` as JSON, and back.

The JSON is the model's own serialisation (``model_dump_json``: times in ISO 8601,
nan and infinities as ``null``) re-emitted with sorted keys and two-space indent,
so two runs that found the same thing write byte-identical files that diff well.

Examples
--------
>>> from datetime import datetime, timezone
>>> from modelward.analyses.results import CheckResult, DriftResult, HealthResult
>>> result = CheckResult(
...     created_at=datetime(2026, 2, 1, tzinfo=timezone.utc), source="log.parquet",
...     reference="2026-01-01 .. 2026-01-14", bucket="day", n_rows=0, n_reference_rows=0,
...     n_current_rows=0, features=[], segments=[], summary=[],
...     health=HealthResult(issues=[], volume=[], day_of_week=[], labels=[]),
...     drift=DriftResult(rule="", alpha=0.05, features=[], score=[], heatmap=[],
...                       distributions=[], multivariate=[]),
...     performance=None, latency=None)
>>> CheckResult.model_validate_json(to_json(result)) == result
True
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from modelward._exceptions import StoreError
from modelward.analyses.results import CheckResult
from modelward.report._format import write_report_file

__all__ = ["load_json", "to_json", "write_json"]


def to_json(result: CheckResult) -> str:
    """Serialise a check result to JSON text with a stable key order.

    Parameters
    ----------
    result
        The check result.

    Returns
    -------
    str
        JSON, keys sorted, indented by two spaces, ending with a newline.
    """
    data = json.loads(result.model_dump_json())
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(result: CheckResult, path: str | Path) -> Path:
    """Write a check result as ``report.json``.

    Parameters
    ----------
    result
        The check result.
    path
        The file to write; its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    StoreError
        If the file cannot be written.
    """
    return write_report_file(path, to_json(result))


def load_json(path: str | Path) -> CheckResult:
    """Read a check result back from ``report.json``.

    Parameters
    ----------
    path
        A file written by :func:`write_json` (or any JSON of the same schema).

    Returns
    -------
    CheckResult
        The result, equal to the one written.

    Raises
    ------
    StoreError
        If the file cannot be read, is not JSON, or does not match the schema; the
        message names the file and the first offending field.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"{source}: cannot read the report: {exc.strerror or exc}") from exc
    try:
        return CheckResult.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise StoreError(
            f"{source}: not a modelward report: field '{where}': {first['msg']}"
            f" ({exc.error_count()} error(s))"
        ) from exc
