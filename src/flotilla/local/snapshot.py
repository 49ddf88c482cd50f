"""One read of what the emulator says should exist: ECS services and the ALB's config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from flotilla.local.emulator import FAKE_CREDENTIALS


def clients(url: str, region: str) -> dict[str, Any]:
    """boto3 clients on the emulator (the daemon never talks to real AWS)."""
    kw: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": region,
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    }
    names = ("ecs", "elbv2", "ssm", "secretsmanager", "ecr")
    return {n: boto3.client(n, **kw) for n in names}  # type: ignore[call-overload]


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    name: str
    port: int
    health_path: str
    interval: int
    timeout: int
    healthy: int
    unhealthy: int
    matcher: str
    deregistration_delay: int
    targets: tuple[tuple[str, int], ...] = ()  # registered (ip, port)


@dataclass(frozen=True)
class Rule:
    priority: int  # the default rule sorts last
    paths: tuple[str, ...]  # path-pattern values (OR); empty = any
    hosts: tuple[str, ...]  # host-header values (OR); empty = any
    action: dict[str, Any]  # the first forward or fixed-response action

    @property
    def target_group(self) -> str | None:
        """The ARN a forward action sends to (its first target group); None for other actions."""
        a = self.action
        if a["Type"] != "forward":
            return None
        arn = a.get("TargetGroupArn") or a["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
        return str(arn)


@dataclass(frozen=True)
class Listener:
    lb_name: str
    port: int
    rules: tuple[Rule, ...]  # priority order, default last


@dataclass(frozen=True)
class Service:
    cluster: str  # cluster name
    name: str
    task_definition: str  # ARN
    desired: int
    target_group: str | None  # ARN
    container_name: str | None
    container_port: int | None
    grace: int

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.name}"


@dataclass
class Snapshot:
    services: dict[str, Service] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)


def _pages(client: Any, op: str, key: str, **kw: Any) -> list[Any]:
    out: list[Any] = []
    for page in client.get_paginator(op).paginate(**kw):
        out += page[key]
    return out


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def task_definition(ecs: Any, arn: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A task definition by ARN; revisions are immutable, so each is read once into `cache`."""
    if arn not in cache:
        cache[arn] = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return cache[arn]


def read_ecs(ecs: Any, snap: Snapshot, td_cache: dict[str, dict[str, Any]]) -> None:
    for cluster_arn in _pages(ecs, "list_clusters", "clusterArns"):
        arns = _pages(ecs, "list_services", "serviceArns", cluster=cluster_arn)
        for i in range(0, len(arns), 10):
            for s in ecs.describe_services(cluster=cluster_arn, services=arns[i : i + 10])[
                "services"
            ]:
                if s.get("status", "ACTIVE") != "ACTIVE":
                    continue
                lbs = s.get("loadBalancers") or [{}]
                svc = Service(
                    cluster=_name(cluster_arn),
                    name=s["serviceName"],
                    task_definition=s["taskDefinition"],
                    desired=int(s.get("desiredCount", 0)),
                    target_group=lbs[0].get("targetGroupArn"),
                    container_name=lbs[0].get("containerName"),
                    container_port=lbs[0].get("containerPort"),
                    grace=int(s.get("healthCheckGracePeriodSeconds") or 0),
                )
                snap.services[svc.key] = svc
                task_definition(ecs, svc.task_definition, td_cache)


def _tg(elb: Any, t: dict[str, Any]) -> TargetGroup:
    attrs = elb.describe_target_group_attributes(TargetGroupArn=t["TargetGroupArn"])
    delay = 300  # ALB's default
    for a in attrs["Attributes"]:
        if a["Key"] == "deregistration_delay.timeout_seconds":
            delay = int(a["Value"])
    health = elb.describe_target_health(TargetGroupArn=t["TargetGroupArn"])
    targets = tuple(
        sorted(
            (d["Target"]["Id"], int(d["Target"].get("Port", t.get("Port", 80))))
            for d in health["TargetHealthDescriptions"]
            if d.get("TargetHealth", {}).get("State") not in ("unused", "draining")
        )
    )
    return TargetGroup(
        arn=t["TargetGroupArn"],
        name=t["TargetGroupName"],
        port=int(t.get("Port") or 80),
        health_path=t.get("HealthCheckPath") or "/",
        interval=int(t.get("HealthCheckIntervalSeconds") or 30),
        timeout=int(t.get("HealthCheckTimeoutSeconds") or 5),
        healthy=int(t.get("HealthyThresholdCount") or 5),
        unhealthy=int(t.get("UnhealthyThresholdCount") or 2),
        matcher=(t.get("Matcher") or {}).get("HttpCode") or "200",
        deregistration_delay=delay,
        targets=targets,
    )


def _values(cond: dict[str, Any], config_key: str) -> tuple[str, ...]:
    vals = cond.get(config_key, {}).get("Values") or cond.get("Values") or []
    return tuple(vals)


def _rule(r: dict[str, Any]) -> Rule:
    paths: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    for c in r.get("Conditions", []):
        if c.get("Field") == "path-pattern":
            paths += _values(c, "PathPatternConfig")
        elif c.get("Field") == "host-header":
            hosts += _values(c, "HostHeaderConfig")
    actions = sorted(r.get("Actions", []), key=lambda a: a.get("Order", 0))
    usable = [a for a in actions if a["Type"] in ("forward", "fixed-response")]
    prio = r.get("Priority", "default")
    return Rule(
        priority=10**9 if prio == "default" else int(prio),
        paths=paths,
        hosts=hosts,
        action=usable[0] if usable else {"Type": "fixed-response"},
    )


def read_elb(elb: Any, snap: Snapshot) -> None:
    for t in _pages(elb, "describe_target_groups", "TargetGroups"):
        snap.target_groups[t["TargetGroupArn"]] = _tg(elb, t)
    for lb in _pages(elb, "describe_load_balancers", "LoadBalancers"):
        if lb.get("Type", "application") != "application":
            continue
        for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            rules = elb.describe_rules(ListenerArn=li["ListenerArn"])["Rules"]
            parsed = sorted((_rule(r) for r in rules), key=lambda r: r.priority)
            snap.listeners.append(Listener(lb["LoadBalancerName"], int(li["Port"]), tuple(parsed)))


def read(cl: dict[str, Any], td_cache: dict[str, dict[str, Any]]) -> Snapshot:
    snap = Snapshot()
    read_ecs(cl["ecs"], snap, td_cache)
    read_elb(cl["elbv2"], snap)
    return snap


@dataclass(frozen=True)
class Scope:
    """The part of the emulator one local environment runs.

    An environment other than the default claims the cluster and load balancer named
    `<project>-<env>` (Terraform's names). The default one runs everything no other claims, so
    that resources made by hand or by tests keep working, except another environment's names
    (`reserved`, its own `own` apart): what an environment whose file was removed left behind
    runs nowhere, instead of beside the default one's routes."""

    claims: frozenset[str] = frozenset()  # empty: the default environment
    others: frozenset[str] = frozenset()  # what the other environments claim
    reserved: str = ""  # the default one: a name prefix only environments have (`<project>-`)
    own: str = ""  # the default one's own name under that prefix

    def owns(self, name: str) -> bool:
        if self.claims:
            return name in self.claims
        if self.reserved and name.startswith(self.reserved) and name != self.own:
            return False
        return name not in self.others

    def of(self, snap: Snapshot) -> Snapshot:
        part = Snapshot(
            services={k: s for k, s in snap.services.items() if self.owns(s.cluster)},
            listeners=[li for li in snap.listeners if self.owns(li.lb_name)],
        )
        mine = {s.target_group for s in part.services.values()}
        mine |= {r.target_group for li in part.listeners for r in li.rules}
        theirs = {s.target_group for s in snap.services.values() if not self.owns(s.cluster)}
        theirs |= {r.target_group for li in snap.listeners if not self.owns(li.lb_name)
                   for r in li.rules}  # fmt: skip
        for arn, tg in snap.target_groups.items():
            if arn in mine or (not self.claims and arn not in theirs):
                part.target_groups[arn] = tg
        return part
