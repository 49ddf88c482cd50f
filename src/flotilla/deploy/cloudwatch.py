"""Traffic metrics in AWS: the ALB's per-target-group CloudWatch sums.

`RequestCount` and `HTTPCode_Target_5XX_Count` (namespace AWS/ApplicationELB, dimensions
TargetGroup and LoadBalancer), summed per minute. After cut-over the target group holds only
the new tasks, but the minute in which the meter opens may still count old, draining ones, so
a meter counts from the next whole minute on. CloudWatch publishes with a lag of a minute or
more: a short window reads fewer requests than were served (never more).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flotilla.deploy import aws
from flotilla.deploy.metrics import ZERO, Counts, Version
from flotilla.errors import FlotillaError

NAMESPACE = "AWS/ApplicationELB"
PERIOD = 60


def arn_suffix(arn: str, after: str) -> str:
    """CloudWatch's dimension value: the ARN's resource part after `after`
    ("targetgroup/name/id", "app/name/id")."""
    resource = arn.split(":", 5)[-1]
    return resource.removeprefix(after) if after else resource


def next_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0) + timedelta(minutes=1)


class CloudWatchMeter:
    source = f"CloudWatch {NAMESPACE} sums per target group"

    def __init__(self, cw: Any, dimensions: list[dict[str, str]], start: datetime) -> None:
        self.cw = cw
        self.dimensions = dimensions
        self.start = start

    def _sum(self, metric: str, end: datetime) -> int:
        resp = self.cw.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=metric,
            Dimensions=self.dimensions,
            StartTime=self.start,
            EndTime=end,
            Period=PERIOD,
            Statistics=["Sum"],
        )
        return int(sum(p.get("Sum", 0) for p in resp.get("Datapoints", [])))

    def read(self) -> Counts:
        end = datetime.now(UTC)
        if end <= self.start:
            return ZERO
        return Counts(self._sum("RequestCount", end), self._sum("HTTPCode_Target_5XX_Count", end))


class CloudWatchMetrics:
    def __init__(
        self,
        cw: Any = None,
        elbv2: Any = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        account: aws.Account | None = None,
    ) -> None:
        account = account or aws.Account()
        self.cw = cw or account.client("cloudwatch")
        self.elbv2 = elbv2 or account.client("elbv2")
        self.clock = clock

    def meter(self, version: Version) -> CloudWatchMeter:
        arn = version.target_group_arn
        if not arn:
            raise FlotillaError(
                f"{version.service} has no target group: its traffic is not counted"
            )
        tg = self.elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
        lbs = tg.get("LoadBalancerArns") or []
        dims = [{"Name": "TargetGroup", "Value": arn_suffix(arn, "")}]
        if lbs:
            dims.append({"Name": "LoadBalancer", "Value": arn_suffix(lbs[0], "loadbalancer/")})
        return CloudWatchMeter(self.cw, dims, next_minute(self.clock()))
