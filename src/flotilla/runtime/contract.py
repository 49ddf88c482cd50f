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


def main(argv: list[str] | None = None) -> int:
    """`python -m flotilla.runtime.contract SERVICE_DIR`: the document's bytes on stdout (exit 0),
    or why there is none on stderr (exit 3). One process per service, so services whose modules
    share a name never see each other's code (and the image build can run it too)."""
    import sys

    from flotilla.errors import FlotillaError
    from flotilla.runtime.loader import read_service
    from flotilla.runtime.openapi import dumps

    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0])
    try:
        found = contract(read_service(folder), folder)
    except FlotillaError as exc:
        print(exc, file=sys.stderr)
        return 2
    if found.document is None:
        print(found.note, file=sys.stderr)
        return 3
    sys.stdout.buffer.write(dumps(found.document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
