"""ENV=local's `Target`: the same calls as AWS's, pointed at this machine's emulator, registry,
ALB and local runtime. The CLI picks it for an environment of kind `local`.

Values the user set explicitly in the process environment (an endpoint, FLOTILLA_REGISTRY,
FLOTILLA_SMOKE_URL, FLOTILLA_STATUS_SOURCE) are kept; nothing is written to `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from flotilla.deploy.target import Target
from flotilla.local.emulator import Emulator

if TYPE_CHECKING:
    from flotilla.deploy.aws import Role
    from flotilla.deploy.environments import Environment
    from flotilla.deploy.metrics import TrafficMetrics
    from flotilla.deploy.status import RolloutSource
    from flotilla.project import Project


def local_settings(project: Project) -> dict[str, str]:
    """What boto3, terraform, the registry push and the smoke test need for ENV=local."""
    cfg = project.config.local
    return {
        **Emulator(port=cfg.emulator_port, region=project.config.project.region).env(),
        "FLOTILLA_REGISTRY": f"127.0.0.1:{cfg.registry_port}",
        # The smoke test goes through the local ALB (the emulator's ALB DNS name is fictional).
        "FLOTILLA_SMOKE_URL": f"http://127.0.0.1:{cfg.alb_port}",
    }


class LocalTarget(Target):
    default_status = "local"

    def __init__(
        self,
        project: Project,
        environment: Environment,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        given = os.environ if settings is None else settings  # explicit values win
        super().__init__(project, environment, {**local_settings(project), **given})

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

        return LocalStatusSource(local_paths(self.project), self.account.client("ecs"))

    def metrics(self) -> TrafficMetrics:
        """The new tasks' own counters (FLOTILLA_STATUS_SOURCE=ecs: CloudWatch's, emulated)."""
        if self.status_kind() == "ecs":
            return super().metrics()
        from flotilla.local.metrics import LocalMetrics
        from flotilla.local.paths import local_paths

        return LocalMetrics(local_paths(self.project))
