"""What a rollout looks like, whoever runs the tasks: ECS in AWS, or the local runtime.

The waiter in `rollout.py` reads one `StatusSource`; the environment picks the implementation
(ECS for staging/prod, `flotilla.local` for ENV=local), so no `if local` is scattered about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

RolloutState = Literal["IN_PROGRESS", "COMPLETED", "FAILED"]


@dataclass(frozen=True)
class TargetHealth:
    target: str  # "ip:port"
    state: str  # healthy | unhealthy | initial | draining | unused
    reason: str | None = None


@dataclass(frozen=True)
class ServiceStatus:
    """One service's rollout as ECS describes it (`describe_services` + target health)."""

    name: str
    task_definition: str  # the ARN the primary deployment runs
    desired: int
    running: int
    pending: int
    rollout_state: RolloutState
    rollout_reason: str | None = None  # e.g. the circuit breaker's reason
    rolled_back: bool = False  # the circuit breaker returned to the previous revision
    stopped_reasons: tuple[str, ...] = ()  # recent stopped tasks' reasons
    targets: tuple[TargetHealth, ...] = field(default_factory=tuple)

    @property
    def steady(self) -> bool:
        return self.rollout_state == "COMPLETED" and self.running == self.desired


@dataclass(frozen=True)
class FailedTask:
    """A task that stopped during a rollout, with what it left behind."""

    task: str  # the task id
    exit_code: int | None
    reason: str
    lines: tuple[str, ...]  # its last log lines, oldest first

    def show(self, lines: int = 30) -> str:
        code = "unknown" if self.exit_code is None else str(self.exit_code)
        head = f"failed task {self.task[:12]}: exit code {code}; {self.reason}"
        tail = self.lines[-lines:] or ("(it wrote no log lines)",)
        return "\n".join([head, f"  its last {len(tail)} log lines:", *(f"  | {x}" for x in tail)])


class FailedTasks(Protocol):
    def failed_tasks(self, cluster: str, service: str) -> list[FailedTask]:
        """Tasks of `service` that stopped with a failure, newest first, with their logs."""
        ...


class StatusSource(Protocol):
    def service_status(
        self, cluster: str, service: str, target_group_arn: str | None
    ) -> ServiceStatus:
        """The current state of one ECS service in `cluster`."""
        ...


class RolloutSource(StatusSource, FailedTasks, Protocol):
    """What the deploy reads during a rollout: status, and the failed tasks' causes."""
