"""The one traffic-metrics interface: how many requests a service's new version answered, and
how many of them were 5xx, since a meter was opened. Verify reads it after cut-over; canary
analysis and a live view can read the same meters.

Implementations: `flotilla.deploy.cloudwatch` (AWS: the target group's CloudWatch sums) and
`flotilla.local.metrics` (ENV=local: the new tasks' own counters). The composition root (the
CLI) picks one by environment; nothing in deploy/ imports the local one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Counts:
    requests: int
    errors: int  # answers with a 5xx status

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.requests - other.requests, self.errors - other.errors)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.requests + other.requests, self.errors + other.errors)

    @property
    def error_share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


ZERO = Counts(0, 0)


@dataclass(frozen=True)
class Version:
    """One service's version as it runs after apply: where its traffic is counted."""

    service: str  # the flotilla service name
    path: str  # its URL path (the task serves <path>/metrics)
    cluster: str
    ecs_service: str
    target_group_arn: str | None
    task_definition: str  # the revision that took traffic


class Meter(Protocol):
    source: str  # what is counted, for the output ("the new tasks' counters", "CloudWatch")

    def read(self) -> Counts:
        """Requests and 5xx answers of the version since the meter was opened."""
        ...


class TrafficMetrics(Protocol):
    def meter(self, version: Version) -> Meter:
        """Start counting `version`'s traffic now."""
        ...
