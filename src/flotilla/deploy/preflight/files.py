"""File shapes: every services/<name>/ folder holds a readable service.toml (UTF-8, no BOM,
not empty, not huge), manifests parse, requirements files are text. Runs before the rules,
which read the services that parsed."""

from __future__ import annotations

import difflib
from pathlib import Path

from flotilla.deploy.preflight import Violation
from flotilla.discovery import Service, _from_entry_points, conflicts
from flotilla.errors import UsageError
from flotilla.manifest import parse_manifest
from flotilla.project import Project
from flotilla.textfile import text_problem

MANIFEST = "service.toml"
REQUIREMENTS = ("requirements.txt", "requirements.lock")
REQUIREMENTS_LIMIT = 1024 * 1024
IGNORED_FOLDERS = frozenset({"__pycache__"})


def environments(project: Project) -> list[str]:
    """Every defined environment (a bad environment file: UsageError listing each problem)."""
    from flotilla.deploy.environments import defined

    return defined(project)


def _near_miss(folder: Path) -> str | None:
    """A file in `folder` that was probably meant to be service.toml."""
    names = [p.name for p in folder.iterdir() if p.is_file()]
    for name in names:
        if name.lower() == MANIFEST or name.lower().startswith(MANIFEST + "."):
            return name
    close = difflib.get_close_matches(MANIFEST, names, n=1, cutoff=0.75)
    return close[0] if close else None


def _shape(path: Path, *, limit: int = 64 * 1024, allow_empty: bool = False) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    problem = text_problem(data, allow_empty=allow_empty, limit=limit)
    return f"{path}: {problem}" if problem else None


def _load_one(folder: Path, lines: list[str]) -> Service | None:
    path = folder / MANIFEST
    if not path.is_file():
        near = _near_miss(folder)
        hint = f"rename {near} to {MANIFEST}" if near else "add one, or move the folder out"
        lines.append(f"{folder}: no {MANIFEST}; each folder in services/ is one service ({hint})")
        return None
    for name in REQUIREMENTS:
        req = folder / name
        if req.is_file():
            problem = _shape(req, limit=REQUIREMENTS_LIMIT, allow_empty=name.endswith(".txt"))
            if problem:
                lines.append(problem)
    problem = _shape(path)
    if problem:
        lines.append(problem)
        return None
    try:
        text = path.read_text(encoding="utf-8")
        manifest = parse_manifest(text, str(path), folder_name=path.resolve().parent.name)
    except UsageError as exc:
        lines.extend(exc.message.splitlines())
        return None
    return Service(manifest, folder, str(path))


def load_services(project: Project) -> tuple[list[Service], list[Violation]]:
    """Every service that parsed, and one violation per problem in any service folder."""
    lines: list[str] = []
    services: list[Service] = []
    folder = project.services_dir
    if folder.is_dir():
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if sub.name.startswith(".") or sub.name in IGNORED_FOLDERS:
                continue
            service = _load_one(sub, lines)
            if service is not None:
                services.append(service)
    try:
        local_roots = {s.root.resolve() for s in services}
        services += [s for s in _from_entry_points() if s.root.resolve() not in local_roots]
    except UsageError as exc:
        lines.extend(exc.message.splitlines())
    if not services and not lines:
        lines.append(f"no services found in {folder} (services/*/service.toml)")
    lines.extend(conflicts(services))
    return sorted(services, key=lambda s: s.name), [Violation.plain(line) for line in lines]
