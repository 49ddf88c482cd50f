"""Pins: a manual rollback holds its service at that release until it is unpinned.

A deploy plans a pinned service with its pinned ledger entry instead of the working tree, so
it neither builds nor pushes it (its tree may be the broken one that was rolled back), and
records no new release for it; the review says so. `deploy --unpin NAME` (or `flotilla unpin`)
lets the working tree through again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console

from flotilla.deploy.release import Pin, ServiceSpec
from flotilla.deploy.validate import Context
from flotilla.errors import FlotillaError, UsageError
from flotilla.project import Project

if TYPE_CHECKING:
    from flotilla.deploy.target import Connect


@dataclass
class Held:
    """What the pins hold: each pinned service's spec, and what the review says."""

    specs: dict[str, ServiceSpec] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def pinned(self) -> set[str]:
        return set(self.specs)


def check_names(ctx: Context, unpin: list[str]) -> None:
    """`--unpin` names services of this project (before anything is built)."""
    known = {s.name for s in ctx.services}
    unknown = [n for n in unpin if n not in known]
    if unknown:
        raise UsageError(
            f"--unpin {', '.join(unknown)}: no such service; known: {', '.join(sorted(known))}"
        )


def pinned_note(name: str, number: int, by: str) -> str:
    return f"{name} pinned at release {number} by {by}; `--unpin {name}` to deploy the working tree"


def hold(ctx: Context, unpin: list[str]) -> Held:
    """Each pinned service's spec from its pinned release (unless in `unpin`), read before
    anything is built: a pinned service is planned from the ledger, not the working tree."""
    ledger = ctx.target.ledger()
    held = Held()
    for name in sorted(s.name for s in ctx.services):
        data = ledger.load(name)
        if data.pin is None:
            if name in unpin:
                held.notes.append(f"{name} was not pinned; `--unpin {name}` changes nothing")
            continue
        pin = data.pin
        if name in unpin:
            held.notes.append(
                f"{name} unpinned (was pinned at release {pin.number} by {pin.by}): "
                "deploying the working tree"
            )
            continue
        release = next((r for r in data.history if r.number == pin.number), None)
        if release is None or release.spec is None:
            raise FlotillaError(
                f"{name} is pinned at release {pin.number}, which the ledger no longer holds "
                "in full",
                hint=f"`flotilla unpin {name} --env {ctx.env}`, then deploy",
            )
        held.specs[name] = release.spec
        held.notes.append(pinned_note(name, pin.number, pin.by))
    return held


@dataclass
class UnpinCommand:
    """`flotilla unpin SERVICE`: clear the pin; nothing is deployed until the next deploy."""

    project: Project
    env: str
    service: str
    console: Console = field(default_factory=Console)
    connect: Connect | None = None  # the composition root's (kind local needs it)

    def run(self) -> Pin | None:
        from flotilla.deploy.validate import reach

        ledger = reach(self.project, self.env, self.connect).ledger()
        if not ledger.history(self.service):
            known = ", ".join(ledger.everything()) or "none"
            raise UsageError(
                f"{self.service} was never deployed to {self.env}; nothing to unpin "
                f"(services with releases there: {known})"
            )
        was = ledger.unpin(self.service)
        if was is None:
            self.console.print(f"{self.service} is not pinned in {self.env}")
        else:
            self.console.print(
                f"unpinned {self.service} in {self.env} (was pinned at release {was.number} by "
                f"{was.by}); the next deploy ships the working tree"
            )
        return was
