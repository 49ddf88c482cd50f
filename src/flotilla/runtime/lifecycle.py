"""Process state for graceful shutdown: draining flag, in-flight count, drain deadline."""

from __future__ import annotations

import os
import time

from flotilla.errors import UsageError

DEFAULT_DRAIN_SECONDS = 10.0


def drain_seconds() -> float:
    """FLOTILLA_DRAIN_SECONDS (default 10): the longest in-flight requests get after SIGTERM."""
    raw = os.environ.get("FLOTILLA_DRAIN_SECONDS", "")
    if not raw:
        return DEFAULT_DRAIN_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise UsageError(
            f"environment variable FLOTILLA_DRAIN_SECONDS = {raw!r} must be a number of "
            "seconds between 0 and 3600 (keep it below the ECS task stop timeout)"
        )
    return value


class Lifecycle:
    """Shared by the ASGI wrapper (counts requests, fails readiness) and the server (exits)."""

    def __init__(self) -> None:
        self.draining = False
        self.inflight = 0
        self.deadline = 0.0

    def begin_drain(self, seconds: float) -> None:
        if not self.draining:
            self.draining = True
            self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def drained(self) -> bool:
        """True once draining and either idle or out of time."""
        return self.draining and (self.inflight == 0 or self.remaining() == 0.0)


STATE = Lifecycle()
