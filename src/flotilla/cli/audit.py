"""Commands: audit (filled in by its own issue)."""

from __future__ import annotations

from flotilla.cli import app  # noqa: F401
