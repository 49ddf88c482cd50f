"""The local runtime: makes the emulator's ECS services real with Docker containers.

Each tick compares the services in the emulator with the containers it runs and moves one
step closer, the way ECS does: start the missing tasks of the service's task definition,
register them in the target group once they pass its health check, then drain the tasks of
older revisions (deregistration delay) and stop them (SIGTERM, stopTimeout). A revision whose
tasks keep failing trips the circuit breaker: the previous revision keeps serving.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flotilla.local import crashlogs, health, tasks
from flotilla.local.alb import ServerStat
from flotilla.local.haproxy import stat_key
from flotilla.local.secrets import SecretError, resolve
from flotilla.local.snapshot import Service, Snapshot, TargetGroup, task_definition
from flotilla.local.task import Task

log = logging.getLogger("flotilla.local")
STARTUP_WINDOW = 30.0  # s a task may take to accept connections (or the service's grace)
MIN_DRAIN = 2.0  # s: the ALB must have dropped a target before its task stops


@dataclass
class ServiceState:
    stable: str | None = None  # the last revision that reached steady state
    failed: dict[str, str] = field(default_factory=dict)  # revision -> circuit-breaker reason
    failures: dict[str, int] = field(default_factory=dict)  # revision -> failed tasks
    stopped: deque[str] = field(default_factory=lambda: deque(maxlen=5))
    next_start: float = 0.0
    deployed: str | None = None  # the task definition last seen: a new one is a new deployment

    def count_failure(self, taskdef: str, reason: str, backoff: float) -> None:
        """A failed task of revision `taskdef`: toward its circuit breaker; hold off new starts."""
        self.stopped.appendleft(reason)
        self.failures[taskdef] = self.failures.get(taskdef, 0) + 1
        self.next_start = time.monotonic() + backoff


def failure_threshold(desired: int) -> int:
    """ECS's deployment circuit breaker: half the desired count, at least 3, at most 200."""
    return min(max(3, math.ceil(desired / 2)), 200)


class Runtime:
    def __init__(
        self,
        docker: Any,
        clients: dict[str, Any],
        env_id: str,
        registry_port: int,
        td_cache: dict[str, dict[str, Any]],
        crash_dir: Path | None = None,
    ) -> None:
        self.docker = docker
        self.crash_dir = crash_dir  # failed tasks' logs are kept here (flotilla.local.crashlogs)
        self.td_cache = td_cache
        self.cl = clients
        self.env_id = env_id
        self.registry_port = registry_port
        self.tasks: dict[str, Task] = {}
        self.states: dict[str, ServiceState] = {}
        self.pool = ThreadPoolExecutor(8, thread_name_prefix="flotilla-local")
        self.changed = False  # targets were (de)registered this tick

    # -- containers ---------------------------------------------------------------------
    def _start(self, svc: Service, st: ServiceState) -> None:
        td = task_definition(self.cl["ecs"], svc.task_definition, self.td_cache)
        spec = tasks.spec(svc, td)
        try:
            secrets = resolve(spec.secrets, self.cl["ssm"], self.cl["secretsmanager"])
            image = tasks.ensure_image(self.docker, self.cl["ecr"], spec.image, self.registry_port)
            c = tasks.run(self.docker, self.env_id, svc, image, spec, secrets)
            c.reload()
        except SecretError as exc:
            return self._failed_start(svc, st, f"ResourceInitializationError: {exc}")
        except Exception as exc:
            return self._failed_start(svc, st, f"CannotStartContainerError: {exc}")
        ip, port, host_port = tasks.address(c)
        t = Task(c, svc.key, svc.task_definition, ip, port, host_port, spec.stop_timeout)
        self.tasks[t.id] = t
        log.info("started task %s of %s (%s) at %s", t.id[:8], svc.key, td["revision"], t.target)

    def _failed_start(self, svc: Service, st: ServiceState, reason: str) -> None:
        log.warning("%s: %s", svc.key, reason)
        st.count_failure(svc.task_definition, reason, backoff=2)

    def _stop(self, t: Task) -> None:
        t.stopping = True

        def stop() -> None:
            try:
                t.container.stop(timeout=t.stop_timeout)
                if t.failed and self.crash_dir is not None:
                    name = t.service.rsplit("/", 1)[-1]
                    crashlogs.save(self.crash_dir, t.container, name, t.id, t.taskdef, t.reason)
                t.container.remove(force=True)
            except Exception as exc:
                log.debug("stop %s: %s", t.id, exc)
            self.tasks.pop(t.id, None)

        self.pool.submit(stop)

    def _register(self, t: Task, tg: TargetGroup) -> None:
        self.cl["elbv2"].register_targets(
            TargetGroupArn=tg.arn, Targets=[{"Id": t.ip, "Port": t.port}]
        )
        t.registered, t.tg = True, tg.arn
        self.changed = True

    def _deregister(self, t: Task) -> None:
        if t.registered and t.tg:
            try:
                self.cl["elbv2"].deregister_targets(
                    TargetGroupArn=t.tg, Targets=[{"Id": t.ip, "Port": t.port}]
                )
            except Exception as exc:
                log.debug("deregister %s: %s", t.target, exc)
            t.registered = False
            self.changed = True

    def _drain(self, t: Task, tg: TargetGroup | None) -> None:
        was = t.registered
        self._deregister(t)
        delay = max(float(tg.deregistration_delay), MIN_DRAIN) if (tg and was) else 0.0
        t.draining_until = time.monotonic() + delay
        log.info("draining task %s of %s for %.0fs", t.id[:8], t.service, delay)

    def _fail(self, t: Task, st: ServiceState, reason: str) -> None:
        """A task that failed: stop it; it counts against its revision's rollout."""
        t.reason, t.failed = reason, True
        st.count_failure(t.taskdef, reason, backoff=1)
        log.warning("task %s of %s failed: %s", t.id[:8], t.service, reason)
        self._deregister(t)
        self._stop(t)

    # -- the loop -----------------------------------------------------------------------
    def tick(self, snap: Snapshot, stats: dict[tuple[str, str], ServerStat]) -> None:
        self.changed = False
        self._reap()
        for key, svc in snap.services.items():
            self._service(svc, snap, self.states.setdefault(key, ServiceState()), stats)
        for t in list(self.tasks.values()):
            if t.live and t.service not in snap.services:  # the service was deleted
                self._drain(t, None)
            if (
                t.draining_until is not None
                and not t.stopping
                and (time.monotonic() >= t.draining_until)
            ):
                self._stop(t)

    def _reap(self) -> None:
        """Tasks whose container died are failed (ECS: essential container exited)."""
        status = {c.labels.get("flotilla.task"): c for c in tasks.ours(self.docker, self.env_id)}
        for t in list(self.tasks.values()):
            c = status.get(t.id)
            if t.stopping:
                continue
            if c is None or c.status in ("exited", "dead"):
                code = c.attrs.get("State", {}).get("ExitCode") if c is not None else None
                st = self.states.setdefault(t.service, ServiceState())
                self._fail(t, st, f"Essential container in task exited (exit code {code})")
            elif (c.attrs.get("State", {}).get("Health") or {}).get("Status") == "unhealthy":
                st = self.states.setdefault(t.service, ServiceState())
                self._fail(t, st, "Task failed container health checks")

    def target(self, svc: Service, st: ServiceState) -> str | None:
        """The revision that should run: the service's, unless the circuit breaker tripped."""
        return st.stable if svc.task_definition in st.failed else svc.task_definition

    def _service(
        self,
        svc: Service,
        snap: Snapshot,
        st: ServiceState,
        stats: dict[tuple[str, str], ServerStat],
    ) -> None:
        if st.deployed != svc.task_definition:
            if self.crash_dir is not None:
                crashlogs.forget(self.crash_dir, svc.name, keep=st.deployed)
            st.deployed = svc.task_definition
        tg = snap.target_groups.get(svc.target_group or "")
        want = self.target(svc, st)
        mine = [t for t in self.tasks.values() if t.service == svc.key and t.live]
        current = [t for t in mine if t.taskdef == want]
        for t in current:
            self._health(t, svc, tg, st, stats)
        current = [t for t in current if t.live]
        if want and len(current) < svc.desired and time.monotonic() >= st.next_start:
            for _ in range(svc.desired - len(current)):
                if want == svc.task_definition:
                    self._start(svc, st)
                else:  # rolled back: run the stable revision
                    self._start(_with_td(svc, want), st)
        for t in sorted(current, key=lambda t: (t.healthy, -t.started))[
            : max(0, len(current) - svc.desired)
        ]:
            self._drain(t, tg)
        healthy = [t for t in current if t.live and t.healthy]
        if want and len(healthy) >= svc.desired:
            for t in mine:
                if t.taskdef != want and t.live:
                    self._drain(t, tg)
            st.stable = want
        elif svc.task_definition != st.stable and svc.task_definition not in st.failed:
            n = st.failures.get(svc.task_definition, 0)
            if n >= failure_threshold(svc.desired):
                st.failed[svc.task_definition] = st.stopped[0] if st.stopped else "tasks failed"
                log.warning("%s: circuit breaker: %s", svc.key, st.failed[svc.task_definition])
                for t in current:
                    self._drain(t, tg)

    def _health(
        self,
        t: Task,
        svc: Service,
        tg: TargetGroup | None,
        st: ServiceState,
        stats: dict[tuple[str, str], ServerStat],
    ) -> None:
        if tg is None:  # no load balancer: running is healthy
            t.healthy = True
            return
        if t.registered and t.tg != tg.arn:  # the service moved to a new target group
            self._deregister(t)
            self._register(t, tg)
        if t.registered:  # the ALB checks it now; ECS replaces targets the ALB marks unhealthy
            s = stats.get(stat_key(tg, t.ip, t.port))
            if s is not None and not s.healthy:
                self._fail(
                    t,
                    st,
                    f"Task failed ELB health checks in (target-group {tg.name}): "
                    f"health check GET {tg.health_path}: {s.reason}",
                )
            return
        if t.check is not None and t.check.done():
            passed, reachable, reason = t.check.result()
            t.check, t.reason = None, reason
            t.reachable |= reachable
            window = max(float(svc.grace), STARTUP_WINDOW)
            if passed:
                t.passes, t.fails = t.passes + 1, 0
            elif t.reachable or time.monotonic() - t.started > window:
                t.passes, t.fails = 0, t.fails + 1
            if t.passes >= tg.healthy:
                self._register(t, tg)
                t.healthy = True
                log.info("task %s of %s healthy, registered %s", t.id[:8], svc.key, t.target)
            elif t.fails >= tg.unhealthy:
                self._fail(
                    t, st, f"Task failed ELB health checks in (target-group {tg.name}): {reason}"
                )
        if t.check is None and time.monotonic() >= t.next_check:
            # Unreachable (still starting) tasks are probed every second, then at the interval.
            t.next_check = time.monotonic() + (tg.interval if t.reachable else 1.0)
            t.check = self.pool.submit(health.check, t.ip, t.port, tg)

    def stop_all(self) -> None:
        for t in list(self.tasks.values()):
            if not t.stopping:
                self._stop(t)
        self.pool.shutdown(wait=True)


def _with_td(svc: Service, td: str) -> Service:
    from dataclasses import replace

    return replace(svc, task_definition=td)
