"""Find every service: `services/*/service.toml` and installed `flotilla.services` entry points."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from flotilla.errors import ManifestError, UsageError
from flotilla.manifest import Manifest, load_manifest, parse_manifest
from flotilla.textfile import read_text

ENTRY_POINT_GROUP = "flotilla.services"


@dataclass(frozen=True)
class Service:
    """A discovered service: its manifest and the folder holding its code and manifest."""

    manifest: Manifest
    root: Path
    source: str  # the manifest file, or "entry point <name>" for installed packages

    @property
    def name(self) -> str:
        return self.manifest.name


def _paths_overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _from_entry_points() -> list[Service]:
    # The entry point names a module; its package folder holds service.toml. We read
    # the manifest without importing the module, so discovery never loads a framework.
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = importlib.util.find_spec(ep.module.split(".")[0])
        if spec is None or spec.origin is None:
            raise ManifestError(f"entry point {ep.name} = {ep.value!r}: module not found")
        root = Path(spec.origin).parent
        manifest_path = root / "service.toml"
        source = f"entry point {ep.name} ({manifest_path})"
        text = read_text(manifest_path)
        # A package folder is a Python name; the entry point's name is the service's name.
        manifest = parse_manifest(text, str(manifest_path))
        if manifest.name != ep.name:
            raise ManifestError(
                f"{source}: key `name` = {manifest.name!r} must equal the entry point's name "
                f"{ep.name!r}"
            )
        found.append(Service(manifest, root, source))
    return found


def discover(services_dir: Path, *, include_installed: bool = True) -> list[Service]:
    """All services, sorted by name. Duplicate names or overlapping paths are errors."""
    services = [
        Service(load_manifest(p), p.parent, str(p))
        for p in sorted(services_dir.glob("*/service.toml"))
    ]
    if include_installed:
        local_roots = {s.root.resolve() for s in services}
        services += [s for s in _from_entry_points() if s.root.resolve() not in local_roots]
    check_conflicts(services)
    return sorted(services, key=lambda s: s.name)


def check_conflicts(services: list[Service]) -> None:
    problems = conflicts(services)
    if problems:
        raise ManifestError("\n".join(problems))


def conflicts(services: list[Service]) -> list[str]:
    """Each pair of services with the same name or overlapping paths, one line each."""
    found = []
    for i, a in enumerate(services):
        for b in services[i + 1 :]:
            if a.name == b.name:
                found.append(f"two services named {a.name!r}: {a.source} and {b.source}")
            elif _paths_overlap(a.manifest.path, b.manifest.path):
                found.append(
                    f"services {a.name!r} ({a.source}, path {a.manifest.path!r}) and "
                    f"{b.name!r} ({b.source}, path {b.manifest.path!r}) have overlapping paths; "
                    "each service needs its own path prefix"
                )
    return found


def select(services: list[Service], names: list[str] | None) -> list[Service]:
    """The named services, in the order given; an unknown name is an error listing the known."""
    if not names:
        return services
    by_name = {s.name: s for s in services}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UsageError(
            f"unknown service {', '.join(map(repr, unknown))}; known: {', '.join(sorted(by_name))}"
        )
    return [by_name[n] for n in names]
