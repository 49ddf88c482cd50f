"""The ECS `StatusSource`: describe_services, stopped tasks and target health."""

from __future__ import annotations

from typing import Any

from flotilla.deploy import aws
from flotilla.deploy.status import FailedTask, RolloutState, ServiceStatus, TargetHealth
from flotilla.errors import FlotillaError

STOPPED_SAMPLE = 5
LOG_LINES = 30


class EcsStatusSource:
    def __init__(self, account: aws.Account | None = None) -> None:
        self.account = account or aws.Account()
        self.ecs: Any = self.account.client("ecs")
        self.elbv2: Any = self.account.client("elbv2")

    def service_status(
        self, cluster: str, service: str, target_group_arn: str | None
    ) -> ServiceStatus:
        resp = self.ecs.describe_services(cluster=cluster, services=[service])
        found = [s for s in resp.get("services", []) if s.get("status") != "INACTIVE"]
        if not found:
            raise FlotillaError(f"ECS service {service} not found in cluster {cluster}")
        return from_description(
            found[0],
            self._stopped_reasons(cluster, service),
            self._targets(target_group_arn) if target_group_arn else (),
        )

    def _stopped_reasons(self, cluster: str, service: str) -> tuple[str, ...]:
        arns = self.ecs.list_tasks(
            cluster=cluster, serviceName=service, desiredStatus="STOPPED", maxResults=STOPPED_SAMPLE
        ).get("taskArns", [])
        if not arns:
            return ()
        tasks = self.ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", [])
        return stopped_reasons(tasks)

    def failed_tasks(self, cluster: str, service: str) -> list[FailedTask]:
        """Recently stopped tasks whose essential container failed, with the last log lines
        of their CloudWatch stream (awslogs: <prefix>/<container>/<task id>)."""
        arns = self.ecs.list_tasks(
            cluster=cluster, serviceName=service, desiredStatus="STOPPED", maxResults=STOPPED_SAMPLE
        ).get("taskArns", [])
        if not arns:
            return []
        tasks = self.ecs.describe_tasks(cluster=cluster, tasks=arns).get("tasks", [])
        tasks.sort(key=lambda t: str(t.get("stoppedAt") or ""), reverse=True)
        out = []
        for task in tasks:
            bad = [c for c in task.get("containers", []) if c.get("exitCode") not in (None, 0)]
            if not bad and "fail" not in str(task.get("stoppedReason", "")).lower():
                continue
            container = (bad or task.get("containers") or [{}])[0]
            task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1]
            lines = self._log_lines(task.get("taskDefinitionArn", ""), container, task_id)
            reason = task.get("stoppedReason") or container.get("reason") or "stopped"
            out.append(FailedTask(task_id, container.get("exitCode"), reason, lines))
        return out

    def _log_lines(self, taskdef: str, container: dict[str, Any], task_id: str) -> tuple[str, ...]:
        try:
            td = self.ecs.describe_task_definition(taskDefinition=taskdef)["taskDefinition"]
            name = container.get("name")
            cdef = next(c for c in td["containerDefinitions"] if c["name"] == name)
            opts = cdef["logConfiguration"]["options"]
            resp = self.account.client("logs").get_log_events(
                logGroupName=opts["awslogs-group"],
                logStreamName=f"{opts['awslogs-stream-prefix']}/{name}/{task_id}",
                limit=LOG_LINES,
                startFromHead=False,
            )
        except Exception as exc:  # no log configuration, stream expired, no permission
            return (f"(no CloudWatch log lines: {exc})",)
        return tuple(str(e.get("message", "")).rstrip("\n") for e in resp.get("events", []))

    def _targets(self, target_group_arn: str) -> tuple[TargetHealth, ...]:
        resp = self.elbv2.describe_target_health(TargetGroupArn=target_group_arn)
        out = []
        for d in resp.get("TargetHealthDescriptions", []):
            t, h = d.get("Target", {}), d.get("TargetHealth", {})
            reason = " ".join(x for x in (h.get("Reason"), h.get("Description")) if x) or None
            out.append(TargetHealth(f"{t.get('Id')}:{t.get('Port')}", h.get("State", "?"), reason))
        return tuple(out)


def stopped_reasons(tasks: list[dict[str, Any]]) -> tuple[str, ...]:
    """Distinct, readable reasons: the task's stoppedReason plus container exit details."""
    reasons: list[str] = []
    for task in tasks:
        parts = [task.get("stoppedReason") or "stopped"]
        for c in task.get("containers", []):
            if c.get("reason"):
                parts.append(f"{c.get('name')}: {c['reason']}")
            elif c.get("exitCode") not in (None, 0):
                parts.append(f"{c.get('name')} exited {c['exitCode']}")
        text = "; ".join(parts)
        if text not in reasons:
            reasons.append(text)
    return tuple(reasons)


def from_description(
    svc: dict[str, Any], stopped: tuple[str, ...], targets: tuple[TargetHealth, ...]
) -> ServiceStatus:
    """Map one describe_services entry onto ServiceStatus, detecting circuit-breaker rollback."""
    deployments = svc.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None) or {}
    desired, running = int(svc.get("desiredCount", 0)), int(svc.get("runningCount", 0))
    state: RolloutState
    raw = primary.get("rolloutState")
    if raw in ("IN_PROGRESS", "COMPLETED", "FAILED"):
        state = raw
    else:  # deployment controllers without rollout state: steady when one deployment runs all
        state = "COMPLETED" if len(deployments) <= 1 and running == desired else "IN_PROGRESS"
    failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
    events = [e.get("message", "") for e in svc.get("events", [])[:5]]
    rolled_back = bool(failed and primary.get("rolloutState") != "FAILED") or any(
        "rolling back" in m for m in events
    )
    reason = primary.get("rolloutStateReason")
    if failed and failed[0] is not primary:
        reason = failed[0].get("rolloutStateReason") or reason
    return ServiceStatus(
        name=svc.get("serviceName", "?"),
        # The service's task definition: ECS moves it back when the circuit breaker rolls back.
        task_definition=svc.get("taskDefinition") or primary.get("taskDefinition", ""),
        desired=desired,
        running=running,
        pending=int(svc.get("pendingCount", 0)),
        rollout_state=state,
        rollout_reason=reason,
        rolled_back=rolled_back,
        stopped_reasons=stopped,
        targets=targets,
    )
