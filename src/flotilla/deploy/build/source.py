"""Where the flotilla sources (for the wheel) and the Dockerfile come from, and their digests."""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

import flotilla
from flotilla.errors import FlotillaError
from flotilla.project import Project

# What an image runs: the runtime and `flotilla.entry` (its `serve` needs no CLI library).
# Operator-side code (deploy/, local/, the typer CLI) stays out of the wheel, so changing it
# rebuilds no image.
OPERATOR_ONLY = frozenset({"deploy", "local", "cli"})

SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv", "build"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def iter_files(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Files under `root` that go into an image, sorted; caches and bytecode are left out.
    A skipped name leaves out a file or a whole folder, which is then never walked."""

    def skipped(name: str) -> bool:
        return name in SKIP_DIRS or name in skip or name.endswith(".egg-info")

    found = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not skipped(d)]
        for name in filenames:
            path = Path(folder, name)
            if not skipped(name) and not name.endswith(SKIP_SUFFIXES) and path.is_file():
                found.append(path)
    yield from sorted(found)


def digest_files(files: Iterable[tuple[str, Path]]) -> str:
    """sha256 over (name, content) pairs: contents only, never mtimes."""
    h = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def _is_flotilla_repo(root: Path) -> bool:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return (
        bool(data.get("project", {}).get("name") == "flotilla")
        and (root / "src" / "flotilla" / "__init__.py").is_file()
    )


class FlotillaSource:
    """The flotilla checkout a wheel is built from: the project itself when it is the flotilla
    repository, else the checkout the running flotilla was installed from (editable)."""

    def __init__(self, project: Project) -> None:
        candidates = [project.root, Path(flotilla.__file__).resolve().parents[2]]
        root = next((c for c in candidates if _is_flotilla_repo(c)), None)
        if root is None:
            raise FlotillaError(
                "cannot find the flotilla sources to build its wheel: "
                f"neither {project.root} nor the installed flotilla is a flotilla checkout",
                hint="install flotilla in editable mode (pip install -e) from its repository",
            )
        self.root = root
        self.package = root / "src" / "flotilla"

    @cached_property
    def pyproject(self) -> dict[str, object]:
        return tomllib.loads((self.root / "pyproject.toml").read_text(encoding="utf-8"))

    @property
    def readme(self) -> str | None:
        """The long description's file: left out of the image wheel (see flotilla_wheel)."""
        project = self.pyproject.get("project", {})
        value = project.get("readme") if isinstance(project, dict) else None
        return value if isinstance(value, str) else None

    def files(self) -> list[tuple[str, Path]]:
        """The runtime wheel's inputs: package metadata and the runtime side of the package.
        Not the README: a documentation edit must not give every image a new content tag."""
        meta = [(n, self.root / n) for n in ("pyproject.toml", "LICENSE")]
        pkg = [
            (str(p.relative_to(self.root)), p) for p in iter_files(self.package, skip=OPERATOR_ONLY)
        ]
        return [(n, p) for n, p in meta if p.is_file()] + pkg

    @cached_property
    def digest(self) -> str:
        """What the wheel's content depends on (sources and metadata, not build times)."""
        return digest_files(self.files())

    def runtime_deps(self, framework: str) -> list[str]:
        """The core dependencies plus the framework's extra, as written in pyproject.toml."""
        project = self.pyproject.get("project", {})
        assert isinstance(project, dict)
        deps = list(project.get("dependencies", []))
        extras = project.get("optional-dependencies", {})
        if framework not in extras:
            raise FlotillaError(f"{self.root / 'pyproject.toml'}: no extra {framework!r}")
        return deps + list(extras[framework])


def dockerfile_path(project: Project, source: FlotillaSource) -> Path:
    """The project's docker/Dockerfile, else the one shipped with flotilla."""
    for root in (project.root, source.root):
        path = root / "docker" / "Dockerfile"
        if path.is_file():
            return path
    raise FlotillaError(f"no docker/Dockerfile in {project.root} or {source.root}")
