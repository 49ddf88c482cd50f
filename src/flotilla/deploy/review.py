"""Plan review: `terraform show -json` -> what changes, per service, and what is dangerous.

Reads only the JSON plan (never terraform's text). `render.py` turns the result into
plan.md; this module decides what the plan means.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from flotilla.deploy.environments import settings_hint

# Replacing or destroying these takes traffic down or loses state: the gate stops on them.
CRITICAL_TYPES = {
    "aws_lb": "ALB",
    "aws_alb": "ALB",
    "aws_lb_listener": "listener",
    "aws_alb_listener": "listener",
    "aws_lb_target_group": "target group",
    "aws_alb_target_group": "target group",
    "aws_ecs_cluster": "cluster",
    "aws_ecs_service": "ECS service",
    "aws_vpc": "network",
    "aws_subnet": "network",
    "aws_internet_gateway": "network",
    "aws_nat_gateway": "network",
    "aws_route_table": "network",
    "aws_s3_bucket": "state",
    "aws_dynamodb_table": "state",
}
SERVICE_ADDR = re.compile(r'^module\.services?\["(?P<name>[^"]+)"\]')


def action_of(actions: list[str]) -> str:
    """create | update | delete | replace | read | no-op."""
    if "delete" in actions and "create" in actions:
        return "replace"
    return actions[0] if len(actions) == 1 else "+".join(actions)


def service_of(rc: dict[str, Any]) -> str | None:
    m = SERVICE_ADDR.match(rc["address"])
    if m:
        return m.group("name")
    index = rc.get("index")
    return index if isinstance(index, str) and rc.get("module_address") is None else None


@dataclass
class ServiceChange:
    name: str
    actions: dict[str, str] = field(default_factory=dict)  # address -> action
    image: tuple[str | None, str | None] = (None, None)
    cpu: tuple[str | None, str | None] = (None, None)
    memory: tuple[str | None, str | None] = (None, None)
    env_added: list[str] = field(default_factory=list)
    env_removed: list[str] = field(default_factory=list)
    secrets_added: list[str] = field(default_factory=list)
    secrets_removed: list[str] = field(default_factory=list)
    desired: tuple[Any, Any] = (None, None)
    min: tuple[Any, Any] = (None, None)
    max: tuple[Any, Any] = (None, None)
    path_patterns: list[str] = field(default_factory=list)
    priority: Any = None

    @property
    def changed(self) -> bool:
        return any(a not in ("no-op", "read") for a in self.actions.values())


@dataclass
class Review:
    env: str
    counts: dict[str, int]
    critical: list[dict[str, str]]  # {address, type, kind, action}
    services: dict[str, ServiceChange]
    other: list[dict[str, str]]  # {address, type, action}
    listener_default: str | None = None
    warnings: list[str] = field(default_factory=list)  # shown above everything else

    @property
    def has_changes(self) -> bool:
        return any(self.counts.values())

    @property
    def changed_services(self) -> list[str]:
        return [n for n, s in self.services.items() if s.changed]

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "has_changes": self.has_changes,
            "counts": self.counts,
            "critical": self.critical,
            "changed_services": self.changed_services,
            "services": {n: asdict(s) for n, s in self.services.items()},
            "other": self.other,
            "warnings": self.warnings,
        }


def _container(values: dict[str, Any] | None) -> dict[str, Any]:
    if not values:
        return {}
    raw = values.get("container_definitions")
    try:
        defs = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return {}
    return defs[0] if isinstance(defs, list) and defs else {}


def _names(container: dict[str, Any], key: str) -> set[str]:
    return {str(e.get("name")) for e in container.get(key) or []}


def _task_definition(svc: ServiceChange, before: Any, after: Any) -> None:
    cb, ca = _container(before), _container(after)
    svc.image = (cb.get("image"), ca.get("image"))
    svc.cpu = ((before or {}).get("cpu"), (after or {}).get("cpu"))
    svc.memory = ((before or {}).get("memory"), (after or {}).get("memory"))
    for key, added, removed in (
        ("environment", svc.env_added, svc.env_removed),
        ("secrets", svc.secrets_added, svc.secrets_removed),
    ):
        b, a = _names(cb, key), _names(ca, key)
        added.extend(sorted(a - b))
        removed.extend(sorted(b - a))


def _rule(svc: ServiceChange, values: dict[str, Any]) -> None:
    svc.priority = values.get("priority")
    for cond in values.get("condition") or []:
        for pp in cond.get("path_pattern") or []:
            svc.path_patterns.extend(pp.get("values") or [])


def analyse(plan: dict[str, Any], env: str) -> Review:
    counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
    critical: list[dict[str, str]] = []
    services: dict[str, ServiceChange] = {}
    other: list[dict[str, str]] = []
    default_response: str | None = None
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") == "data":
            continue
        change = rc.get("change", {})
        action = action_of(change.get("actions", ["no-op"]))
        key = {"create": "add", "update": "change", "delete": "destroy", "replace": "replace"}
        if action in key:
            counts[key[action]] += 1
        rtype = rc["type"]
        before, after = change.get("before"), change.get("after")
        if action in ("delete", "replace") and rtype in CRITICAL_TYPES:
            critical.append(
                {
                    "address": rc["address"],
                    "type": rtype,
                    "kind": CRITICAL_TYPES[rtype],
                    "action": action,
                }
            )
        if rtype in ("aws_lb_listener", "aws_alb_listener"):
            for act in (after or before or {}).get("default_action") or []:
                for fixed in act.get("fixed_response") or []:
                    default_response = f"{fixed.get('status_code')} fixed response"
        name = service_of(rc)
        if name is None:
            if action not in ("no-op", "read"):
                other.append({"address": rc["address"], "type": rtype, "action": action})
            continue
        svc = services.setdefault(name, ServiceChange(name))
        svc.actions[rc["address"]] = action
        if rtype == "aws_ecs_task_definition":
            _task_definition(svc, before, after)
        elif rtype == "aws_ecs_service":
            svc.desired = ((before or {}).get("desired_count"), (after or {}).get("desired_count"))
        elif rtype == "aws_appautoscaling_target":
            svc.min = ((before or {}).get("min_capacity"), (after or {}).get("min_capacity"))
            svc.max = ((before or {}).get("max_capacity"), (after or {}).get("max_capacity"))
        elif rtype in ("aws_lb_listener_rule", "aws_alb_listener_rule"):
            _rule(svc, after or before or {})
    return Review(
        env,
        counts,
        critical,
        dict(sorted(services.items())),
        other,
        default_response,
        warnings(plan, env),
    )


def warnings(plan: dict[str, Any], env: str) -> list[str]:
    """What the reviewer must see even when the plan is fine: plain HTTP outside local."""
    outputs = (plan.get("planned_values") or {}).get("outputs") or {}
    if (outputs.get("http_only") or {}).get("value") is True:
        return [
            f"{env} serves plain HTTP (allow_http = true): requests, cookies and tokens cross "
            f"the internet unencrypted. Set domain or certificate_arn in "
            f"{settings_hint(env)} to serve HTTPS."
        ]
    return []
