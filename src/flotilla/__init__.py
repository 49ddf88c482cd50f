"""Flotilla: one plugin API served by FastAPI, Flask or Django, shipped as one image per service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["HTTPError", "Header", "Plugin", "Query", "Request", "Response"]

if TYPE_CHECKING:
    from flotilla.runtime.plugin import Header, HTTPError, Plugin, Query, Request, Response


def __getattr__(name: str) -> Any:
    # Lazy, so `import flotilla` (e.g. for the CLI or deploy) costs nothing extra.
    if name in __all__:
        from flotilla.runtime import plugin

        return getattr(plugin, name)
    raise AttributeError(name)
