"""Automatic tags: `c-<12 hex>` (content), `git-<sha>[-dirty]`, `v<version>`."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flotilla.deploy.build.ignore import context_files
from flotilla.deploy.build.source import digest_files
from flotilla.discovery import Service

# Build args that label an image without changing what it runs: kept out of the content tag,
# or every commit would rebuild every service.
UNHASHED_ARGS = frozenset({"REVISION", "SOURCE", "CONTENT_TAG"})


def service_files(service: Service) -> list[tuple[str, Path]]:
    """What goes to /srv/service: the service folder without its tests (they never run there)
    and without what build.ignore leaves out (secrets-shaped files, .flotillaignore)."""
    return context_files(service.root, skip=frozenset({"tests"}))


def content_tag(
    service: Service,
    *,
    dockerfile: Path,
    base_id: str,
    flotilla_digest: str,
    build_args: dict[str, str],
) -> str:
    """A hash of everything that determines the image. Same inputs, same tag."""
    h = hashlib.sha256()
    parts = {
        "dockerfile": hashlib.sha256(dockerfile.read_bytes()).hexdigest(),
        "base": base_id,
        "flotilla": flotilla_digest,
        "args": {k: v for k, v in sorted(build_args.items()) if k not in UNHASHED_ARGS},
        "service": digest_files(service_files(service)),  # includes requirements.lock
    }
    h.update(json.dumps(parts, sort_keys=True).encode())
    return "c-" + h.hexdigest()[:12]


@dataclass(frozen=True)
class GitInfo:
    sha: str | None  # short sha of HEAD; None outside a git work tree
    dirty_paths: frozenset[str]  # repo-relative paths with uncommitted changes
    toplevel: Path | None

    def is_dirty(self, *folders: Path) -> bool:
        if self.toplevel is None:
            return False
        prefixes = []
        for folder in folders:
            try:
                prefixes.append(str(folder.resolve().relative_to(self.toplevel)) + "/")
            except ValueError:
                continue  # outside this repository: not ours to judge
        return any(p.startswith(pre) for p in self.dirty_paths for pre in prefixes)

    def tag(self, *folders: Path) -> str | None:
        if self.sha is None:
            return None
        return f"git-{self.sha}" + ("-dirty" if self.is_dirty(*folders) else "")


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_info(root: Path) -> GitInfo:
    """One `git status` for the whole tree; services ask about their own folders."""
    top = _git(root, "rev-parse", "--show-toplevel")
    sha = _git(root, "rev-parse", "--short=7", "HEAD")
    if top is None or sha is None:
        return GitInfo(None, frozenset(), None)
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all") or ""
    paths = set()
    entries = status.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        if len(entry) > 3:
            paths.add(entry[3:])
            if entry[0] in "RC":  # a rename carries its old path as the next entry
                i += 1
                if i < len(entries):
                    paths.add(entries[i])
        i += 1
    return GitInfo(sha.strip(), frozenset(paths), Path(top.strip()).resolve())


def git_remote(root: Path) -> str:
    url = _git(root, "config", "--get", "remote.origin.url")
    return url.strip() if url else ""
