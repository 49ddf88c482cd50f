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


class StatusSource(Protocol):
    def service_status(
        self, cluster: str, service: str, target_group_arn: str | None
    ) -> ServiceStatus:
        """The current state of one ECS service in `cluster`."""
        ...
