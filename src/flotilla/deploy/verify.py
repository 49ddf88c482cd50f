"""Verify after cut-over: for `verify_seconds` after the new tasks take traffic, count the new
version's requests and 5xx answers (through `flotilla.deploy.metrics`) and hold the 5xx share
against the service's `[slo] availability`.

A window with fewer than `verify_min_requests` requests proves nothing: it is reported as
"insufficient traffic", never as a pass, and the smoke result is then the verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from rich.console import Console

from flotilla.checks import VERIFY_SECONDS
from flotilla.deploy.metrics import Counts, Meter, TrafficMetrics, Version
from flotilla.deploy.release import ServiceSpec
from flotilla.errors import FlotillaError

State = Literal["passed", "failed", "insufficient", "unmeasured"]


@dataclass(frozen=True)
class Setting:
    """One service's verify window and the bar it is held to."""

    seconds: float
    min_requests: int
    availability: float  # percent

    @property
    def budget(self) -> float:
        """The 5xx share the SLO allows."""
        return 1 - self.availability / 100


def setting(spec: ServiceSpec, kind: str, seconds: float | None = None) -> Setting:
    """The command's --verify-seconds, else the release's (its manifest's), else the default
    of the environment's kind."""
    if seconds is None:
        seconds = spec.verify_seconds
    if seconds is None:
        seconds = VERIFY_SECONDS["local" if kind == "local" else "aws"]
    return Setting(seconds, spec.verify_min_requests, spec.slo.availability)


@dataclass(frozen=True)
class Result:
    service: str
    setting: Setting
    counts: Counts | None
    source: str
    note: str | None = None  # why nothing was measured

    @property
    def state(self) -> State:
        if self.counts is None:
            return "unmeasured"
        if self.counts.requests < self.setting.min_requests:
            return "insufficient"
        return "failed" if self.counts.error_share > self.setting.budget else "passed"

    @property
    def line(self) -> str:
        c, s = self.counts, self.setting
        if c is None:
            return f"verify: not measured ({self.note})"
        if self.state == "insufficient":
            return f"verify: insufficient traffic ({c.requests} requests)"
        share = f"{c.errors} of {c.requests} requests were 5xx ({c.error_share:.2%})"
        if self.state == "failed":
            return (
                f"verify: {share} in {s.seconds:g}s, above the {s.budget:.2%} that "
                f"availability {s.availability:g}% allows"
            )
        return f"verify: {share} in {s.seconds:g}s, within {s.budget:.2%}"


def run(
    metrics: TrafficMetrics,
    versions: list[tuple[Version, Setting]],
    console: Console,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Result]:
    """Open a meter per version now, read each when its window ends."""
    results: list[Result] = []
    open_: list[tuple[Version, Setting, Meter, float]] = []
    start = clock()
    for version, s in versions:
        if s.seconds <= 0:
            results.append(Result(version.service, s, None, "", "verify_seconds = 0"))
            continue
        try:
            meter = metrics.meter(version)
        except FlotillaError as exc:
            results.append(Result(version.service, s, None, "", exc.message))
            continue
        open_.append((version, s, meter, start + s.seconds))
    with console.status("verify") as status:
        for version, s, meter, due in sorted(open_, key=lambda x: x[3]):
            while (left := due - clock()) > 0:
                status.update(f"verify {version.service}: measuring for {left:.0f}s more")
                sleep(min(1.0, left))
            try:
                counts: Counts | None = meter.read()
                note = None
            except FlotillaError as exc:
                counts, note = None, exc.message
            results.append(Result(version.service, s, counts, meter.source, note))
    return sorted(results, key=lambda r: r.service)
