"""The daemon's published state: what `flotilla status`, the deploy waiter and `urls` read."""

from __future__ import annotations

from flotilla.deploy.status import RolloutState
from flotilla.local.alb import ServerStat
from flotilla.local.haproxy import pick_listener, stat_key
from flotilla.local.record import ServiceRecord, TargetRecord, TaskRecord
from flotilla.local.runtime import Runtime
from flotilla.local.snapshot import Service, Snapshot


def _paths(svc: Service, snap: Snapshot) -> list[str]:
    listener = pick_listener(snap)
    if listener is None or not svc.target_group:
        return []
    out: list[str] = []
    for r in listener.rules:
        if r.target_group == svc.target_group:
            out += r.paths
    return out


def service(
    rt: Runtime, svc: Service, snap: Snapshot, stats: dict[tuple[str, str], ServerStat]
) -> ServiceRecord:
    st = rt.states.get(svc.key)
    want = rt.target(svc, st) if st else svc.task_definition
    mine = [t for t in rt.tasks.values() if t.service == svc.key]
    live = [t for t in mine if t.live]
    new = [t for t in live if t.taskdef == want]
    healthy = [t for t in new if t.healthy]
    failed = st is not None and svc.task_definition in st.failed
    reason: str | None
    state: RolloutState
    if failed:
        state, reason = "FAILED", st.failed[svc.task_definition] if st else None
    elif want and len(healthy) >= svc.desired and len(mine) == len(new):
        state, reason = "COMPLETED", None
    else:
        state, reason = "IN_PROGRESS", None
    tg = snap.target_groups.get(svc.target_group or "")
    targets = []
    th: str
    why: str | None
    for t in mine:
        s = stats.get(stat_key(tg, t.ip, t.port)) if tg else None
        if not t.live:
            th, why = "draining", "Target.DeregistrationInProgress"
        elif s is not None:
            th, why = ("healthy", None) if s.healthy else ("unhealthy", s.reason)
        else:
            th, why = ("healthy", None) if t.healthy else ("initial", t.reason or None)
        targets.append(TargetRecord(target=t.target, state=th, reason=why))
    return ServiceRecord(
        name=svc.name,
        cluster=svc.cluster,
        task_definition=want or svc.task_definition,
        observed_task_definition=svc.task_definition,
        desired=svc.desired,
        running=len(live),
        pending=len(new) - len(healthy),
        rollout_state=state,
        rollout_reason=(
            f"circuit breaker: tasks of {svc.task_definition.rsplit('/', 1)[-1]} failed; {reason}"
            if failed
            else None
        ),
        rolled_back=bool(failed and st and st.stable),
        stopped_reasons=list(st.stopped) if st else [],
        targets=targets,
        paths=_paths(svc, snap),
        tasks=[TaskRecord.model_validate(t.public()) for t in mine],
    )


def build(
    rt: Runtime, snap: Snapshot, stats: dict[tuple[str, str], ServerStat]
) -> dict[str, ServiceRecord]:
    return {key: service(rt, svc, snap, stats) for key, svc in snap.services.items()}
