"""What a service ships: pinned packages from its requirements.lock, or resolved from its
requirements.txt plus flotilla[framework] (installed metadata first, pip's resolver else)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from flotilla.deploy.build.lock import LOCK_NAME
from flotilla.errors import FlotillaError, UsageError

OWN_PROJECT = "flotilla"  # our own package: not on PyPI, never audited as a dependency


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: str


@dataclass(frozen=True)
class ServicePins:
    service: str
    source: str  # where the pins came from, shown above the table
    pins: tuple[Pin, ...]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations; drop comments, options and --hash parts."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not buf:
            start = number
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        parts = [p for p in buf.split() if not p.startswith("--hash")]
        joined = " ".join(parts).strip()
        if joined and not joined.startswith("-"):
            out.append((start, joined))
        buf = ""
    return out


def _parse(path: Path, text: str) -> list[tuple[int, Requirement]]:
    reqs = []
    for number, line in _logical_lines(text):
        try:
            reqs.append((number, Requirement(line)))
        except InvalidRequirement as exc:
            raise UsageError(f"{path}:{number}: not a requirement: {line!r} ({exc})") from None
    return reqs


@cache
def _environment() -> dict[str, str]:
    """This interpreter's marker environment (copy it before adding `extra`)."""
    return {k: str(v) for k, v in default_environment().items()}


def _applies(req: Requirement, extra: str = "") -> bool:
    if req.marker is None:
        return True
    return req.marker.evaluate({**_environment(), "extra": extra})


def read_lock(path: Path) -> list[Pin]:
    """Every line must pin one version with `==`; markers for other platforms are skipped."""
    pins = []
    for number, req in _parse(path, path.read_text(encoding="utf-8")):
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
            raise UsageError(
                f"{path}:{number}: {req} is not pinned; a lock needs one `name==version` per line",
                hint="regenerate it with `make lock`",
            )
        if _applies(req) and canonicalize_name(req.name) != OWN_PROJECT:
            pins.append(Pin(canonicalize_name(req.name), specs[0].version))
    return pins


def framework_requirements(framework: str) -> list[Requirement]:
    """flotilla's own runtime dependencies plus those of its `framework` extra."""
    try:
        declared = metadata.requires(OWN_PROJECT) or []
    except metadata.PackageNotFoundError:
        raise FlotillaError("flotilla is not installed in this environment") from None
    reqs = [Requirement(r) for r in declared]
    return [r for r in reqs if _applies(r, framework)]


def _walk_installed(roots: list[Requirement]) -> list[Pin] | None:
    """Resolve through what is installed; None when something is missing or mismatched."""
    seen: dict[str, Pin] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    todo = list(roots)  # markers already applied by the caller
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if name == OWN_PROJECT or key in visited:
            continue
        visited.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
        if not req.specifier.contains(dist.version, prereleases=True):
            return None
        seen[name] = Pin(name, dist.version)
        for raw in dist.requires or []:
            sub = Requirement(raw)
            if _applies(sub) or any(_applies(sub, e) for e in req.extras):
                todo.append(sub)
    return sorted(seen.values(), key=lambda p: p.name)


def _resolve_with_pip(roots: list[Requirement], timeout: float) -> list[Pin]:
    with tempfile.TemporaryDirectory() as tmp:
        req_file = Path(tmp) / "requirements.txt"
        req_file.write_text("\n".join(str(r) for r in roots) + "\n")
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "-r",
            str(req_file),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FlotillaError(
                f"pip could not resolve the requirements in {timeout:.0f} s"
            ) from None
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
            raise FlotillaError(f"pip could not resolve the requirements: {tail[0]}")
        data = json.loads(report.read_text())
    pins = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in data.get("install", [])
    }
    return [Pin(n, v) for n, v in sorted(pins.items()) if n != OWN_PROJECT]


def _shown(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}/{path.name}"


def service_pins(name: str, root: Path, framework: str, *, timeout: float = 300) -> ServicePins:
    lock, txt = root / LOCK_NAME, root / "requirements.txt"
    if lock.is_file():
        # Shown relative to the project (services/<name>/...): a deep absolute path would not
        # fit a title at 80 columns.
        return ServicePins(name, _shown(lock), tuple(read_lock(lock)))
    roots = framework_requirements(framework)
    source = f"flotilla[{framework}]"
    if txt.is_file():
        roots += [r for _, r in _parse(txt, txt.read_text(encoding="utf-8")) if _applies(r)]
        source = f"{_shown(txt)} + {source}"
    pins = _walk_installed(roots)
    if pins is None:
        pins, source = _resolve_with_pip(roots, timeout), source + " (resolved by pip)"
    else:
        source += " (resolved from installed metadata)"
    return ServicePins(name, source, tuple(pins))
