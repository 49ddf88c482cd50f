"""The rollout waiter.

ECS never starts tasks in moto, so steady state is reached there only with moto's
MOTO_ECS_SERVICE_RUNNING knob; the waiter's decisions over realistic ECS state sequences
(circuit breaker, stuck tasks) are tested with a scripted StatusSource (a boundary fake).
The ECS StatusSource itself is tested against what the emulator reports.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import boto3
import pytest
from rich.console import Console

from flotilla.deploy.ecs_status import EcsStatusSource, from_description, stopped_reasons
from flotilla.deploy.rollout import RolloutFailed, Target, wait
from flotilla.deploy.status import ServiceStatus, TargetHealth

QUIET = Console(file=io.StringIO())


class Scripted:
    """Returns the next state of each service per call: a fake ECS over time."""

    def __init__(self, states: dict[str, list[ServiceStatus]]) -> None:
        self.states = {k: iter(v) for k, v in states.items()}
        self.last: dict[str, ServiceStatus] = {}
        self.calls = 0

    def service_status(self, cluster: str, service: str, tg: str | None) -> ServiceStatus:
        self.calls += 1
        self.last[service] = next(self.states[service], self.last.get(service))  # type: ignore[arg-type]
        return self.last[service]


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def st(td: str, state: str, running: int, desired: int = 2, **kw: object) -> ServiceStatus:
    return ServiceStatus("svc", td, desired, running, desired - running, state, **kw)  # type: ignore[arg-type]


def run(states: dict[str, list[ServiceStatus]], timeout: float = 60) -> dict[str, ServiceStatus]:
    clock = Clock()
    targets = [Target(n, n) for n in states]
    return wait(
        Scripted(states),
        "c",
        targets,
        timeout=timeout,
        poll=5,
        console=QUIET,
        sleep=clock.sleep,
        clock=clock,
    )


def test_steady_after_progress() -> None:
    out = run(
        {
            "a": [
                st("td:2", "IN_PROGRESS", 0),
                st("td:2", "IN_PROGRESS", 1),
                st("td:2", "COMPLETED", 2),
            ],
            "b": [st("td:7", "COMPLETED", 2)],
        }
    )
    assert out["a"].running == 2 and out["b"].steady


def test_circuit_breaker_rollback_is_a_failure_with_reasons() -> None:
    states = {
        "a": [
            st("td:3", "IN_PROGRESS", 0),
            st(
                "td:2",
                "IN_PROGRESS",
                1,
                rolled_back=True,
                rollout_reason="ECS deployment circuit breaker: tasks failed to start.",
                stopped_reasons=("Essential container in task exited; app exited 3",),
                targets=(
                    TargetHealth(
                        "10.0.1.5:8000",
                        "unhealthy",
                        "Target.ResponseCodeMismatch Health checks failed with 500",
                    ),
                ),
            ),
        ]
    }
    with pytest.raises(RolloutFailed) as exc:
        run(states)
    text = str(exc.value)
    assert "rolled back" in text and "circuit breaker" in text
    assert "app exited 3" in text and "Health checks failed with 500" in text


def test_revision_moving_back_counts_as_rollback_even_when_completed() -> None:
    # After a rollback ECS reports COMPLETED for the old revision: never a success.
    with pytest.raises(RolloutFailed, match="rolled back"):
        run({"a": [st("td:3", "IN_PROGRESS", 0), st("td:2", "COMPLETED", 2)]})


def test_failed_rollout_state() -> None:
    with pytest.raises(RolloutFailed, match="rollout of a failed"):
        run({"a": [st("td:3", "FAILED", 0, rollout_reason="tasks failed to start")]})


def test_timeout_explains_what_is_stuck() -> None:
    with pytest.raises(RolloutFailed) as exc:
        run(
            {"a": [st("td:3", "IN_PROGRESS", 1, stopped_reasons=("CannotPullContainerError",))]},
            timeout=30,
        )
    assert "within 30s" in str(exc.value) and "CannotPullContainerError" in str(exc.value)


def test_from_description_detects_rollback_in_deployments() -> None:
    desc = {
        "serviceName": "orders",
        "taskDefinition": "arn:td/orders:2",
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "deployments": [
            {
                "status": "PRIMARY",
                "taskDefinition": "arn:td/orders:2",
                "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": "ECS deployment detected failure; rolling back",
            },
            {
                "status": "ACTIVE",
                "taskDefinition": "arn:td/orders:3",
                "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
            },
        ],
    }
    s = from_description(desc, (), ())
    assert s.rolled_back and "circuit breaker" in (s.rollout_reason or "")
    assert stopped_reasons(
        [
            {
                "stoppedReason": "Task failed ELB health checks",
                "containers": [{"name": "app", "exitCode": 137}],
            }
        ]
    ) == ("Task failed ELB health checks; app exited 137",)


@pytest.fixture
def ecs_service(aws_env: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    ecs = boto3.client("ecs")
    elb = boto3.client("elbv2")
    ec2 = boto3.client("ec2")
    cluster = "waiter-test"
    ecs.create_cluster(clusterName=cluster)
    td = ecs.register_task_definition(
        family="waiter-svc",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "x/y@sha256:" + "0" * 64}],
    )["taskDefinition"]["taskDefinitionArn"]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    tg = elb.create_target_group(
        Name="waiter-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_service(
        cluster=cluster,
        serviceName="waiter-svc",
        taskDefinition=td,
        desiredCount=1,
        launchType="FARGATE",
    )
    yield cluster, "waiter-svc", tg
    ecs.delete_service(cluster=cluster, service="waiter-svc", force=True)
    elb.delete_target_group(TargetGroupArn=tg)


def test_ecs_source_reads_what_the_emulator_reports(ecs_service: tuple[str, str, str]) -> None:
    cluster, service, tg = ecs_service
    s = EcsStatusSource().service_status(cluster, service, tg)
    # The emulator runs no tasks: the deployment stays IN_PROGRESS with 0 of 1 running.
    assert (s.desired, s.running, s.rollout_state, s.rolled_back) == (1, 0, "IN_PROGRESS", False)
    assert s.task_definition.endswith("waiter-svc:1") and s.targets == ()
    with pytest.raises(RolloutFailed, match=r"within 1s[\s\S]*0/1 running"):
        wait(
            EcsStatusSource(),
            cluster,
            [Target("waiter", service, tg)],
            timeout=1,
            poll=0.2,
            console=QUIET,
        )


def test_ecs_source_unknown_service_is_clear(aws_env: dict[str, str]) -> None:
    from flotilla.errors import FlotillaError

    boto3.client("ecs").create_cluster(clusterName="waiter-empty")
    with pytest.raises(FlotillaError, match="ECS service nope not found in cluster waiter-empty"):
        EcsStatusSource().service_status("waiter-empty", "nope", None)


def test_one_failed_rollout_does_not_condemn_the_others() -> None:
    # a fails at once; b is still rolling out then and becomes steady later: the waiter keeps
    # watching b, and reports a as failed and b as steady.
    with pytest.raises(RolloutFailed) as exc:
        run(
            {
                "a": [st("td:3", "FAILED", 0, rollout_reason="tasks failed to start")],
                "b": [
                    st("td:8", "IN_PROGRESS", 0),
                    st("td:8", "IN_PROGRESS", 1),
                    st("td:8", "COMPLETED", 2),
                ],
                "c": [st("td:5", "IN_PROGRESS", 1)],
            },
            timeout=60,
        )
    assert set(exc.value.failures) == {"a", "c"}
    assert "tasks failed to start" in exc.value.failures["a"]
    assert "within 60s" in exc.value.failures["c"]
    assert set(exc.value.steady) == {"b"} and exc.value.steady["b"].running == 2
    assert exc.value.service == "a"


def test_ecs_source_names_a_failed_task_with_its_cloudwatch_lines(aws_env: dict[str, str]) -> None:
    # The emulator starts no service tasks, but it runs and stops a task we start: that stands
    # in for one of the service's tasks failing its health checks during a rollout.
    ecs, logs, ec2 = boto3.client("ecs"), boto3.client("logs"), boto3.client("ec2")
    cluster = "failed-tasks"
    ecs.create_cluster(clusterName=cluster)
    logs.create_log_group(logGroupName="/flotilla/failed")
    td = ecs.register_task_definition(
        family="failed-svc",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": "x/y@sha256:" + "0" * 64,
                "cpu": 256,  # the emulator sums the containers' own cpu and memory
                "memory": 512,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/flotilla/failed",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "svc",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    ok, bad = (
        ecs.run_task(
            cluster=cluster,
            taskDefinition=td,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}
            },
        )["tasks"][0]["taskArn"]
        for _ in range(2)
    )
    ecs.stop_task(cluster=cluster, task=ok, reason="Scaling activity initiated by deployment")
    ecs.stop_task(cluster=cluster, task=bad, reason="Task failed ELB health checks")
    bad_id = bad.rsplit("/", 1)[1]
    stream = f"svc/app/{bad_id}"
    logs.create_log_stream(logGroupName="/flotilla/failed", logStreamName=stream)
    logs.put_log_events(
        logGroupName="/flotilla/failed",
        logStreamName=stream,
        logEvents=[
            {"timestamp": int(time.time() * 1000) + i, "message": line}
            for i, line in enumerate(["starting", "ready_check: the database is not reachable"])
        ],
    )
    failed = EcsStatusSource().failed_tasks(cluster, "failed-svc")
    # Only the task that failed; a task stopped by a scale-in is no cause.
    assert [f.task for f in failed] == [bad_id]
    shown = failed[0].show()
    assert "Task failed ELB health checks" in shown
    assert "| ready_check: the database is not reachable" in shown
