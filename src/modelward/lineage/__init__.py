"""Provenance: dataset versions, the lineage graph, OpenLineage events, the feedback loop.

- :mod:`~modelward.lineage.hashing`: DVC-compatible content addresses.
- :mod:`~modelward.lineage.datasets`: ``data add`` / ``data log``.
- :mod:`~modelward.lineage.dvc`: import ``.dvc`` files and ``dvc.lock``.
- :mod:`~modelward.lineage.graph`: nodes, edges, impact and trace.
- :mod:`~modelward.lineage.render`: text tree, Mermaid and DOT.
- :mod:`~modelward.lineage.openlineage`: RunEvents out and in.
- :mod:`~modelward.lineage.feedback`: corrections and late labels, and their report.

Everything is kept in the run store's DuckDB file (schema version 3).
"""

from __future__ import annotations

from modelward.lineage.datasets import (
    DatasetVersion,
    SchemaChange,
    add_dataset,
    dataset_log,
    schema_change,
)
from modelward.lineage.dvc import DvcImport, import_dvc
from modelward.lineage.feedback import (
    FeedbackLoad,
    FeedbackRecord,
    FeedbackReport,
    add_feedback,
    feedback_history,
    feedback_report,
)
from modelward.lineage.graph import Edge, LineageGraph, Node, Reach
from modelward.lineage.hashing import ContentHash, content_hash
from modelward.lineage.openlineage import (
    export_events,
    import_events,
    post_events,
    write_jsonl,
)
from modelward.lineage.render import render_dot, render_mermaid, render_text

__all__ = [
    "ContentHash",
    "DatasetVersion",
    "DvcImport",
    "Edge",
    "FeedbackLoad",
    "FeedbackRecord",
    "FeedbackReport",
    "LineageGraph",
    "Node",
    "Reach",
    "SchemaChange",
    "add_dataset",
    "add_feedback",
    "content_hash",
    "dataset_log",
    "export_events",
    "feedback_history",
    "feedback_report",
    "import_dvc",
    "import_events",
    "post_events",
    "render_dot",
    "render_mermaid",
    "render_text",
    "schema_change",
    "write_jsonl",
]
