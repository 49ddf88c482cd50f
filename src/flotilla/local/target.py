"""ENV=local's `Target`: the same calls as AWS's, pointed at this machine's emulator, registry,
ALB and local runtime. The CLI picks it for an environment of kind `local`.

Several local environments run side by side (`flotilla local up` serves every one): they share
the emulator and the registry; each has its own runtime, ALB port and resource names.

Values the user set explicitly in the process environment (an endpoint, FLOTILLA_REGISTRY,
FLOTILLA_STATUS_SOURCE) are kept; nothing is written to `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flotilla.deploy.target import Target
from flotilla.local.emulator import Emulator
from flotilla.local.paths import DEFAULT_ENV

if TYPE_CHECKING:
    from flotilla.deploy.aws import Role
    from flotilla.deploy.environments import Environment
    from flotilla.deploy.metrics import TrafficMetrics
    from flotilla.deploy.status import RolloutSource
    from flotilla.project import Project


def local_settings(project: Project, env: str = DEFAULT_ENV) -> dict[str, str]:
    """What boto3, terraform, the registry push and the smoke test need for local `env`."""
    cfg = project.config.local
    return {
        **Emulator(port=cfg.emulator_port, region=project.config.project.region).env(),
        "FLOTILLA_REGISTRY": f"127.0.0.1:{cfg.registry_port}",
        # The smoke test goes through the local ALB (the emulator's ALB DNS name is fictional).
        "FLOTILLA_SMOKE_URL": alb_url(project, env),
    }


def alb_url(project: Project, env: str = DEFAULT_ENV) -> str:
    """Local `env`'s ALB on loopback."""
    port = local_environments(project).get(env, project.config.local.alb_port)
    return f"http://127.0.0.1:{port}"


def local_environments(project: Project) -> dict[str, int]:
    """Each local environment's ALB port; the default environment always runs (on
    flotilla.toml's port unless its file sets one)."""
    from flotilla.deploy.environments import load_all

    default = project.config.local.alb_port
    found = load_all(project)
    ports = {n: e.alb_port(default) for n, e in found.items() if e.kind == "local"}
    out = {n: p for n, p in ports.items() if p is not None}
    out.setdefault(DEFAULT_ENV, default)
    return out


class LocalTarget(Target):
    default_status = "local"

    def __init__(
        self,
        project: Project,
        environment: Environment,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        given = os.environ if settings is None else settings  # explicit values win
        own = local_settings(project, environment.name)
        super().__init__(project, environment, {**own, **given})
        self.alb = own["FLOTILLA_SMOKE_URL"]

    @property
    def smoke_url(self) -> str:
        """Always this environment's own ALB: a FLOTILLA_SMOKE_URL exported for another local
        environment (`flotilla local env`) must not judge this one (`--smoke-url` still can)."""
        return self.alb

    def role(self) -> Role | None:
        """None: the emulator's one account is reached with its fake credentials."""
        return None

    def status_source(self) -> RolloutSource:
        """The local runtime's status (FLOTILLA_STATUS_SOURCE=ecs: the emulator's ECS)."""
        if self.status_kind() == "ecs":
            from flotilla.deploy.ecs_status import EcsStatusSource

            return EcsStatusSource(self.account)
        from flotilla.local.paths import local_paths
        from flotilla.local.status import LocalStatusSource

        return LocalStatusSource(local_paths(self.project, self.name), self.account.client("ecs"))

    def metrics(self) -> TrafficMetrics:
        """The new tasks' own counters (FLOTILLA_STATUS_SOURCE=ecs: CloudWatch's, emulated)."""
        if self.status_kind() == "ecs":
            return super().metrics()
        from flotilla.local.metrics import LocalMetrics
        from flotilla.local.paths import local_paths

        return LocalMetrics(local_paths(self.project, self.name))
