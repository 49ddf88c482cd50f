"""A service's OpenAPI document, whatever its entry: a plugin's is generated (the same under
every framework), a native FastAPI app keeps its own, native Flask and Django apps have none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flotilla.manifest import Manifest

Source = Literal["plugin", "fastapi", "none"]


@dataclass(frozen=True)
class Contract:
    service: str
    framework: str
    source: Source
    document: dict[str, Any] | None

    @property
    def note(self) -> str:
        if self.source == "plugin":
            return "generated from the plugin's routes"
        if self.source == "fastapi":
            return "the native FastAPI app's own document"
        return f"native {self.framework} app: no OpenAPI document"


def contract(manifest: Manifest, folder: Path) -> Contract:
    """Import the service's entry and return its document (None for native Flask/Django)."""
    from flotilla.runtime import openapi
    from flotilla.runtime.loader import import_entry, native_kind
    from flotilla.runtime.plugin import Plugin

    obj = import_entry(manifest, folder.resolve())
    if isinstance(obj, Plugin):
        return Contract(
            manifest.name,
            manifest.framework,
            "plugin",
            openapi.document(obj, manifest.path, manifest.version),
        )
    if native_kind(obj) == "fastapi":
        doc: dict[str, Any] = obj.openapi()
        return Contract(manifest.name, manifest.framework, "fastapi", doc)
    return Contract(manifest.name, manifest.framework, "none", None)
