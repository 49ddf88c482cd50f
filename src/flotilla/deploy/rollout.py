"""Wait for changed services to reach a steady state, over any `StatusSource`.

Success needs every service steady (rollout COMPLETED, running == desired) on the task
definition it had right after apply. A rollback by the circuit breaker (or any move away
from that revision) is a failure, never a success.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live
from rich.table import Table

from flotilla.deploy.status import ServiceStatus, StatusSource
from flotilla.errors import FlotillaError

DEFAULT_TIMEOUT = 15 * 60


class RolloutFailed(FlotillaError):
    """Some services' rollouts failed. `failures` names each with its reason; `steady` holds
    the others, which did reach a steady state and go on to their own checks."""

    exit_code = 4
    failures: dict[str, str]
    steady: dict[str, ServiceStatus]

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        failures: dict[str, str] | None = None,
        steady: dict[str, ServiceStatus] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.failures = failures or {}
        self.steady = steady or {}

    @property
    def service(self) -> str | None:
        """The first service whose rollout failed (sorted), when one did."""
        return min(self.failures, default=None)


@dataclass(frozen=True)
class Target:
    name: str  # the flotilla service
    ecs_service: str
    target_group_arn: str | None = None


def explain(st: ServiceStatus) -> str:
    lines = [f"{st.name}: rollout {st.rollout_state}, {st.running}/{st.desired} running"]
    if st.rolled_back:
        lines.append("  the deployment circuit breaker rolled back to the previous revision")
    if st.rollout_reason:
        lines.append(f"  reason: {st.rollout_reason}")
    lines += [f"  stopped task: {r}" for r in st.stopped_reasons]
    lines += [
        f"  target {t.target} {t.state}: {t.reason}"
        for t in st.targets
        if t.state != "healthy" and t.reason
    ]
    return "\n".join(lines)


def _table(statuses: dict[str, ServiceStatus | None], done: set[str], left: float) -> Table:
    table = Table(
        "service",
        "running/desired",
        "pending",
        "rollout",
        "note",
        title=f"rolling out ({left:.0f}s left)",
        title_justify="left",
    )
    for name, st in statuses.items():
        if st is None:
            table.add_row(name, "…", "", "", "")
            continue
        note = "[green]steady[/]" if name in done else (st.rollout_reason or "")[:60]
        table.add_row(name, f"{st.running}/{st.desired}", str(st.pending), st.rollout_state, note)
    return table


def wait(
    source: StatusSource,
    cluster: str,
    targets: list[Target],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    poll: float = 5.0,
    console: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, ServiceStatus]:
    """Poll until every target is steady or has failed; raise RolloutFailed naming each failed
    one (with its reasons) and carrying the steady ones, so one failure does not condemn them."""
    console = console or Console(stderr=True)
    statuses: dict[str, ServiceStatus | None] = {t.name: None for t in targets}
    baseline: dict[str, str] = {}
    done: set[str] = set()
    failures: dict[str, str] = {}
    timed_out = False
    deadline = clock() + timeout
    try:
        with Live(_table(statuses, done, timeout), console=console, transient=False) as live:
            while True:
                for t in targets:
                    if t.name in done or t.name in failures:
                        continue
                    st = source.service_status(cluster, t.ecs_service, t.target_group_arn)
                    statuses[t.name] = st
                    first = baseline.setdefault(t.name, st.task_definition)
                    moved = bool(first) and st.task_definition != first
                    if st.rolled_back or st.rollout_state == "FAILED" or moved:
                        verdict = "rolled back" if (st.rolled_back or moved) else "failed"
                        failures[t.name] = f"rollout of {t.name} {verdict}\n{explain(st)}"
                    elif st.steady:
                        done.add(t.name)
                left = deadline - clock()
                live.update(_table(statuses, done, left))
                if len(done) + len(failures) == len(targets):
                    break
                if left <= 0:
                    timed_out = True
                    for n, s in statuses.items():
                        if n not in done and n not in failures:
                            why = explain(s) if s is not None else f"{n}: no status yet"
                            failures[n] = (
                                f"rollout of {n} did not reach a steady state within "
                                f"{timeout:.0f}s\n{why}"
                            )
                    break
                sleep(min(poll, max(left, 0.0)))
        steady = {n: s for n, s in statuses.items() if s is not None and n in done}
        if not failures:
            return steady
        raise RolloutFailed(
            "\n".join(failures[n] for n in sorted(failures)),
            hint="raise --timeout, or check the reasons above" if timed_out else None,
            failures=failures,
            steady=steady,
        )
    finally:
        if not console.is_terminal:
            console.line()  # off a terminal, rich leaves the last frame without a newline
