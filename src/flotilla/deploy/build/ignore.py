"""What of a service folder goes into its image: everything but secrets-shaped files, caches,
the service's tests and what its `.flotillaignore` (or `.dockerignore`) lists.

Excluded files are left out of the content tag too (tags.service_files is the one list both
read), so adding a `.env` never rebuilds an image. A symlink that leaves the service folder is
refused, naming the link: it would copy a file from elsewhere on the machine into the image.
"""

from __future__ import annotations

import os
from pathlib import Path

import pathspec

from flotilla.deploy.build.source import iter_files
from flotilla.errors import UsageError

DEFAULT_IGNORE = (".env*", "*.pem", "*.key", "id_*", ".aws/", ".git/", "__pycache__/")
IGNORE_FILES = (".flotillaignore", ".dockerignore")  # the first one present is read
NEVER_IN_IMAGE = (*IGNORE_FILES, ".secrets.baseline")  # build inputs, not service code


def ignore_file(root: Path) -> Path | None:
    return next((root / n for n in IGNORE_FILES if (root / n).is_file()), None)


def ignore_spec(root: Path) -> pathspec.GitIgnoreSpec:
    """The default patterns, then the service's own (gitignore syntax; `!` re-includes)."""
    lines = [*DEFAULT_IGNORE, *(f"/{n}" for n in NEVER_IN_IMAGE)]
    own = ignore_file(root)
    if own is not None:
        lines += own.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def outside_links(root: Path, spec: pathspec.GitIgnoreSpec) -> list[str]:
    """Links (relative to root) that the image would take and that resolve outside root."""
    base = root.resolve()
    found = []
    for folder, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if not path.is_symlink() or spec.match_file(rel):
                continue
            if not path.resolve().is_relative_to(base):
                found.append(f"{rel} -> {os.readlink(path)}")
        dirnames[:] = [
            d
            for d in dirnames
            if not spec.match_file(f"{Path(folder, d).relative_to(root).as_posix()}/")
        ]
    return sorted(found)


def context_files(root: Path, skip: frozenset[str] = frozenset()) -> list[tuple[str, Path]]:
    """(name relative to root, path) of every file the image gets, sorted."""
    spec = ignore_spec(root)
    links = outside_links(root, spec)
    if links:
        raise UsageError(
            f"{root}: symlink(s) pointing outside the service folder: {', '.join(links)}; "
            "copy the file in, or list the link in .flotillaignore"
        )
    files = ((p.relative_to(root).as_posix(), p) for p in iter_files(root, skip=skip))
    return [(rel, p) for rel, p in files if not spec.match_file(rel)]
