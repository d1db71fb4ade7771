"""The web dashboard (``modelward serve``): read-only pages over the run store."""

from __future__ import annotations

from modelward.web.app import create_app

__all__ = ["create_app"]
