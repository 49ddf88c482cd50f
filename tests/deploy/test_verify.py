"""Verify's measurement through the real parts it reads: a served plugin's own counters (the
ENV=local meter) and the emulator's CloudWatch (the AWS meter); the verdict against the SLO."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from flotilla.deploy import verify
from flotilla.deploy.cloudwatch import CloudWatchMetrics
from flotilla.deploy.metrics import Counts, Version
from flotilla.local.metrics import LocalMetrics
from flotilla.local.paths import LocalPaths, write_json
from flotilla.local.record import ServiceRecord, StatusRecord, TaskRecord
from flotilla.runtime.testing import serve_pair
from tests.fixtures.base import emulator_client

FLAKY = """
from flotilla import HTTPError, Plugin, Request

plugin = Plugin("svc")
calls = [0]


@plugin.get("/ok")
def ok(request: Request) -> dict:
    return {"ok": True}


@plugin.get("/flaky")
def flaky(request: Request) -> dict:
    calls[0] += 1
    if calls[0] % 50 == 0:  # 2% of the calls
        raise HTTPError(503, "flaky")
    return {"ok": True}
"""
SLO = verify.Setting(seconds=0.2, min_requests=100, availability=99.9)


def _service(tmp_path: Path) -> Path:
    folder = tmp_path / "services" / "svc"
    folder.mkdir(parents=True)
    (folder / "service.toml").write_text(
        'name = "svc"\nframework = "fastapi"\nentry = "app:plugin"\npath = "/svc"\n'
        'version = "1.0.0"\n'
    )
    (folder / "app.py").write_text(FLAKY)
    return folder


def _status(paths: LocalPaths, internal: str) -> None:
    """The daemon's status as the local meter reads it: one task of revision td:2."""
    task = TaskRecord(
        id="t1",
        service="local/svc",
        task_definition="td:2",
        container="svc",
        internal_url=internal,
        state="healthy",
    )
    service = ServiceRecord(
        name="svc",
        cluster="local",
        task_definition="td:2",
        observed_task_definition="td:2",
        desired=1,
        running=1,
        pending=0,
        rollout_state="COMPLETED",
        tasks=[task],
    )
    record = StatusRecord(ready=True, updated=time.time(), services={"local/svc": service})
    write_json(paths.status, record.model_dump(mode="json"))


def once(send: Callable[[], None]) -> Callable[[float], None]:
    """verify.run's `sleep`: the window's traffic on the first call, then real sleeps."""
    sent = [False]

    def sleep(seconds: float) -> None:
        if not sent[0]:
            sent[0] = True
            send()
        time.sleep(seconds)

    return sleep


def _version(td: str = "td:2") -> Version:
    return Version("svc", "/svc", "local", "svc", None, td)


def test_local_meter_counts_only_the_window_and_verify_holds_it_to_the_slo(
    tmp_path: Path,
) -> None:
    paths = LocalPaths(tmp_path)
    with serve_pair(_service(tmp_path)) as bases, httpx.Client(base_url=bases.public) as http:
        _status(paths, bases.internal)
        for _ in range(30):  # before the window: not counted
            http.get("/svc/ok")

        def load() -> None:  # the window: 200 on the flaky route, 4 of them 503
            for _ in range(200):
                http.get("/svc/flaky")

        [bad] = verify.run(LocalMetrics(paths), [(_version(), SLO)], Console(), sleep=once(load))
        assert bad.counts == Counts(200, 4) and bad.state == "failed"
        assert bad.line == (
            "verify: 4 of 200 requests were 5xx (2.00%) in 0.2s, "
            "above the 0.10% that availability 99.9% allows"
        )

        def quiet() -> None:
            for _ in range(5):
                http.get("/svc/ok")

        [few] = verify.run(LocalMetrics(paths), [(_version(), SLO)], Console(), sleep=once(quiet))
        assert (
            few.state == "insufficient" and few.line == "verify: insufficient traffic (5 requests)"
        )

        def good() -> None:
            for _ in range(150):
                http.get("/svc/ok")

        [ok] = verify.run(LocalMetrics(paths), [(_version(), SLO)], Console(), sleep=once(good))
        assert ok.counts == Counts(150, 0) and ok.state == "passed"

        [none] = verify.run(LocalMetrics(paths), [(_version("td:9"), SLO)], Console())
        assert none.state == "unmeasured" and "no task of td:9" in none.line
        skip = verify.Setting(0, 100, 99.9)
        [off] = verify.run(LocalMetrics(paths), [(_version(), skip)], Console())
        assert off.line == "verify: not measured (verify_seconds = 0)"


def _target_group(emulator: Any) -> tuple[str, str]:
    ec2, elb = emulator_client(emulator, "ec2"), emulator_client(emulator, "elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name="verify-alb", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name="verify-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    return tg, lb["LoadBalancerArn"]


def test_cloudwatch_meter_sums_the_target_groups_minutes_after_cut_over(
    aws_env: dict[str, str], emulator: Any
) -> None:
    tg, lb = _target_group(emulator)
    cw = emulator_client(emulator, "cloudwatch")
    opened = datetime.now(UTC).replace(second=30, microsecond=0) - timedelta(minutes=5)
    dims = [
        {"Name": "TargetGroup", "Value": tg.split(":")[-1]},
        {"Name": "LoadBalancer", "Value": lb.split(":")[-1].removeprefix("loadbalancer/")},
    ]

    def put(metric: str, value: float, at: datetime) -> None:
        cw.put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {"MetricName": metric, "Dimensions": dims, "Value": value, "Timestamp": at}
            ],
        )

    put("RequestCount", 500, opened)  # the cut-over minute: old tasks may be in it
    put("HTTPCode_Target_5XX_Count", 50, opened)
    put("RequestCount", 300, opened + timedelta(seconds=60))
    put("RequestCount", 200, opened + timedelta(seconds=130))
    put("HTTPCode_Target_5XX_Count", 3, opened + timedelta(seconds=130))

    metrics = CloudWatchMetrics(cw, emulator_client(emulator, "elbv2"), clock=lambda: opened)
    meter = metrics.meter(Version("svc", "/svc", "c", "svc", tg, "td:1"))
    assert meter.dimensions == dims
    assert meter.read() == Counts(500, 3)
    with pytest.raises(Exception, match="no target group"):
        metrics.meter(Version("svc", "/svc", "c", "svc", None, "td:1"))
