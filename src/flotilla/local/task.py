"""One running task as the reconciler tracks it."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from flotilla.runtime.network import INTERNAL_PORT

INTERNAL_LABEL = "flotilla.internal_port"  # the container label holding the task's internal port


@dataclass
class Task:
    container: Any  # docker Container
    service: str  # "cluster/service"
    taskdef: str
    ip: str
    port: int
    host_port: int | None
    stop_timeout: int
    started: float = field(default_factory=time.monotonic)
    passes: int = 0
    fails: int = 0
    reachable: bool = False
    next_check: float = 0.0
    check: Future[tuple[bool, bool, str]] | None = None
    registered: bool = False
    tg: str | None = None  # the target group ARN it is registered in
    healthy: bool = False
    draining_until: float | None = None
    stopping: bool = False
    reason: str = ""
    failed: bool = False  # stopped as a failure: its logs are kept

    @property
    def id(self) -> str:
        return str(self.container.labels["flotilla.task"])

    @property
    def live(self) -> bool:
        return self.draining_until is None and not self.stopping

    @property
    def target(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def internal_url(self) -> str:
        """Where this task's /metrics and /stats answer (the port no ALB rule reaches); the one
        place ENV=local code reads task counters from."""
        port = self.container.labels.get(INTERNAL_LABEL) or INTERNAL_PORT
        return f"http://{self.ip}:{port}"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "task_definition": self.taskdef,
            "container": self.container.name,
            "target": self.target,
            "url": f"http://127.0.0.1:{self.host_port}" if self.host_port else None,
            "internal_url": self.internal_url,
            "state": "draining" if not self.live else ("healthy" if self.healthy else "initial"),
            "reason": self.reason,
        }
