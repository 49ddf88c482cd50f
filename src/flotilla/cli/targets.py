"""The composition root's choice of `Target` per environment kind: `deploy/` knows only AWS's
and is handed this `Connect`, so it never imports `local/`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flotilla.deploy.environments import Environment
    from flotilla.deploy.target import Target
    from flotilla.project import Project


def connect(project: Project, environment: Environment) -> Target:
    if environment.kind == "local":
        from flotilla.local.target import LocalTarget

        return LocalTarget(project, environment)
    from flotilla.deploy.target import Target

    return Target(project, environment)


def reach(project: Project, env: str) -> Target:
    """`env`'s target for a read-only command: settings and credentials checked."""
    from flotilla.deploy.validate import reach as checked

    return checked(project, env, connect)
