"""Preflight: every rule a deploy's input must satisfy, checked before anything is built,
pushed or applied, with no network, Docker or AWS.

Each rule is a function `(Inputs) -> Iterable[Violation]` decorated with `@rule` in one of
the modules named in RULE_MODULES. `run` collects every rule's violations and reports them
all at once: one line each (file, key, value, what is allowed), exit 2.

To add a rule: write a function in the fitting module (or a new module listed in
RULE_MODULES), decorate it with `@rule`, yield a `Violation` per problem, and add a case to
tests/corpus/bad_inputs/<class>/.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flotilla.discovery import Service
from flotilla.errors import UsageError
from flotilla.manifest import Manifest
from flotilla.project import Project

RULE_MODULES = ("project", "names", "limits", "code", "secrets", "tools", "cli", "https")
_UNSET = object()


@dataclass(frozen=True)
class Violation:
    """One broken rule. `where` is a file, or None for a command-line value."""

    where: str | None
    key: str
    allowed: str
    value: object = _UNSET

    @classmethod
    def plain(cls, line: str) -> Violation:
        """A line already in the form above (from the manifest model or discovery)."""
        return cls(line, "", "")

    def line(self) -> str:
        if self.where is not None and not self.key and not self.allowed:
            return self.where
        if self.where is None:
            shown = "" if self.value is _UNSET else f" {self.value}"
            return f"{self.key}{shown}: {self.allowed}"
        shown = "" if self.value is _UNSET else f" = {self.value!r}"
        key = f"key `{self.key}`" if self.key else ""
        return (
            f"{self.where}: {key}{shown}: {self.allowed}"
            if key
            else f"{self.where}: {self.allowed}"
        )


class PreflightError(UsageError):
    """Every violation found, one per line (exit 2)."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("\n".join(dict.fromkeys(v.line() for v in violations)))


@dataclass(frozen=True)
class CliValues:
    """What the command line passed on; None where the command has no such option."""

    command: str
    env: str
    timeout: float | None = None
    smoke_url: str | None = None
    services: tuple[str, ...] = ()
    source_env: str | None = None  # promote --from
    tag: str | None = None  # rollback --to
    base_image: str | None = None
    verify_seconds: float | None = None


@dataclass(frozen=True)
class Inputs:
    """What the rules read: the project, its services as written, and the command line."""

    project: Project
    cli: CliValues
    services: list[Service]  # every manifest that parsed, no environment applied
    environments: list[str]  # defined: environments/<env>.toml
    terraform_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "terraform_dir", self.project.terraform_dir)

    @property
    def env(self) -> str:
        return self.cli.env

    def settings_file(self, env: str) -> Path:
        """The file that defines (or would define) `env`."""
        from flotilla.deploy.environments import settings_file

        return settings_file(self.project, env)

    def per_env(self) -> Iterator[tuple[str, Service, Manifest]]:
        """Every service in every defined environment, its overrides applied."""
        for env in self.environments:
            for service in self.services:
                yield env, service, service.manifest.for_env(env)


Rule = Callable[[Inputs], Iterable[Violation]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    """Register `fn` as a preflight rule."""
    RULES.append(fn)
    return fn


def _load_rules() -> list[Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return RULES


def check(project: Project, cli: CliValues, *, manifests: bool = True) -> list[Violation]:
    """Every violation: the files' shapes and manifests first, then each rule.

    Without `manifests` (rollback reads the ledger, not the working tree) no service folder
    is read, so only the command-line and project rules apply."""
    from flotilla.deploy.preflight.files import environments, load_services

    services, found = load_services(project) if manifests else ([], [])
    inputs = Inputs(project, cli, services, environments(project))
    for fn in _load_rules():
        found.extend(fn(inputs))
    return found


def run(project: Project, cli: CliValues, *, manifests: bool = True) -> None:
    """Raise PreflightError listing every violation, or return when there are none."""
    found = check(project, cli, manifests=manifests)
    if found:
        raise PreflightError(found)
