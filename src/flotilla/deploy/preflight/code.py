"""Code the image will run, read statically (nothing is imported): the entry module and its
attribute exist in the service folder; requirements name only what can be locked and built
offline (no VCS URLs, local paths or editable installs)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from flotilla.deploy.preflight import Inputs, Violation, rule
from flotilla.discovery import Service

REQUIREMENTS = "requirements.txt"
VCS = re.compile(r"(^|@\s*)(git|hg|svn|bzr)\+", re.IGNORECASE)
LOCAL = re.compile(r"^(\.{1,2}[/\\]|/|~|file:)|@\s*file:", re.IGNORECASE)
EDITABLE = re.compile(r"^(-e|--editable)(\s|=|$)")


def module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def top_level_names(tree: ast.Module) -> set[str] | None:
    """Names a module defines at top level; None if it may define any (star import,
    module __getattr__)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if node.name == "__getattr__":
                return None
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.If | ast.Try | ast.With):
            return None  # conditional definitions: do not guess
    return names


def _requirement_names(service: Service) -> set[str]:
    path = service.root / REQUIREMENTS
    if not path.is_file():
        return set()
    found = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match:
            found.add(re.sub(r"[-_.]+", "_", match.group(1)).lower())
    return found


def _module_problem(service: Service, key: str, value: str, attr: str | None) -> str | None:
    module = value.split(":")[0]
    path = module_file(service.root, module)
    if path is None:
        if module.split(".")[0].lower() in _requirement_names(service):
            return None  # provided by a dependency
        rel = module.replace(".", "/")
        return f"module {module!r} not found in {service.root} (no {rel}.py or {rel}/__init__.py)"
    if attr is None:
        return None
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError) as exc:
        return f"{path}: line {getattr(exc, 'lineno', '?')}: not valid Python ({exc.args[0]})"
    names = top_level_names(tree)
    if names is not None and attr not in names:
        return f"{path} defines no top-level {attr!r}"
    return None


@rule
def entry(inputs: Inputs) -> Iterator[Violation]:
    for service in inputs.services:
        m = service.manifest
        problem = _module_problem(service, "entry", m.entry, m.entry.split(":")[1])
        if problem:
            yield Violation(service.source, "entry", problem, m.entry)
        if m.django_settings:
            problem = _module_problem(service, "django_settings", m.django_settings, None)
            if problem:
                yield Violation(service.source, "django_settings", problem, m.django_settings)


def requirement_problem(line: str) -> str | None:
    text = line.split(" #")[0].strip()
    if not text or text.startswith("#"):
        return None
    if EDITABLE.match(text):
        return "an editable install cannot go into an image; name the package and a version"
    if VCS.search(text):
        return "a VCS URL cannot be locked or built offline; publish a release and pin it"
    if LOCAL.search(text):
        return "a local path cannot be locked or built offline; publish it or vendor a wheel"
    return None


@rule
def requirements(inputs: Inputs) -> Iterator[Violation]:
    for service in inputs.services:
        path = service.root / REQUIREMENTS
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            problem = requirement_problem(line)
            if problem:
                yield Violation.plain(f"{path}: line {number}: {line.strip()!r}: {problem}")


@rule
def context_links(inputs: Inputs) -> Iterator[Violation]:
    """A link out of the service folder would copy a file from elsewhere into the image."""
    from flotilla.deploy.build.ignore import ignore_spec, outside_links

    for service in inputs.services:
        for link in outside_links(service.root, ignore_spec(service.root)):
            yield Violation.plain(
                f"{service.root}: symlink {link} points outside the service folder; copy the "
                "file in, or list the link in .flotillaignore"
            )
