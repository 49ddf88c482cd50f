"""The local `StatusSource`: rollouts as the local runtime reports them (`status.json`)."""

from __future__ import annotations

import time
from typing import Any

from flotilla.deploy.status import FailedTask, ServiceStatus, TargetHealth
from flotilla.errors import FlotillaError
from flotilla.local import crashlogs, record
from flotilla.local.paths import DEFAULT_ENV, LocalPaths, local_paths
from flotilla.local.record import StatusRecord
from flotilla.project import Project, load_project

STALE = 15.0  # s without a status update: the daemon is gone


class LocalStatusSource:
    """Reads the daemon's status file; checks the emulator so a fresh apply is never missed."""

    def __init__(self, paths: LocalPaths, ecs: Any = None) -> None:
        self.paths = paths
        self._ecs = ecs

    def read(self) -> StatusRecord:
        """The daemon's latest record, or one error when it is missing or stale."""
        try:
            data: StatusRecord | None = record.read(self.paths.status)
        except (OSError, ValueError):
            data = None
        if data is None or time.time() - data.updated > STALE:
            raise FlotillaError(
                f"the local environment is not running (no fresh {self.paths.status})",
                hint="run `flotilla local up` (or `make demo`)",
            )
        return data

    def _observed(self, cluster: str, service: str) -> tuple[str, int] | None:
        """(task definition, desired count) the emulator holds now."""
        if self._ecs is None:
            from flotilla.deploy import aws

            self._ecs = aws.client("ecs")
        found = self._ecs.describe_services(cluster=cluster, services=[service])["services"]
        if not found:
            return None
        return str(found[0]["taskDefinition"]), int(found[0].get("desiredCount", 0))

    def service_status(
        self, cluster: str, service: str, target_group_arn: str | None
    ) -> ServiceStatus:
        data = self.read()
        key = f"{cluster.rsplit('/', 1)[-1]}/{service}"
        e = data.services.get(key)
        observed = self._observed(cluster, service)
        if e is None or observed is None:
            return ServiceStatus(
                service,
                observed[0] if observed else "",
                observed[1] if observed else 0,
                0,
                0,
                "IN_PROGRESS",
                "the local runtime has not seen this service yet",
            )
        state, reason, task_def = e.rollout_state, e.rollout_reason, e.task_definition
        if observed != (e.observed_task_definition, e.desired):
            # The daemon reads the emulator once a second: an apply it has not seen yet. As in
            # ECS right after the apply, the primary deployment is the new revision.
            state, reason = "IN_PROGRESS", "the local runtime has not seen this change yet"
            task_def = observed[0]
        return ServiceStatus(
            name=service,
            task_definition=task_def,
            desired=e.desired,
            running=e.running,
            pending=e.pending,
            rollout_state=state,
            rollout_reason=reason,
            rolled_back=e.rolled_back and state == "FAILED",
            stopped_reasons=tuple(e.stopped_reasons),
            targets=tuple(TargetHealth(t.target, t.state, t.reason) for t in e.targets),
        )

    def failed_tasks(self, cluster: str, service: str) -> list[FailedTask]:
        """The failed tasks the local runtime kept (flotilla.local.crashlogs)."""
        return crashlogs.failed(self.paths.crash_logs, service)


def source(project: Project | None = None, env: str = DEFAULT_ENV) -> LocalStatusSource:
    return LocalStatusSource(local_paths(project or load_project(), env))
