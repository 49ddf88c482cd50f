"""Listener-rule and task-definition limits.

Quotas AWS lets an account raise (rules and target groups per load balancer) are checked
against the documented defaults here, offline; for an environment other than local, the
deploy then reads the account's own values (`elbv2 describe-account-limits`) and checks again
(see `check_quotas`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from flotilla.deploy.preflight import Inputs, Violation, rule
from flotilla.deploy.servicemap import MAX_PRIORITY, priority
from flotilla.discovery import Service

if TYPE_CHECKING:
    from flotilla.deploy.aws import Account

# Documented defaults (Elastic Load Balancing quotas, Application Load Balancers).
DEFAULT_QUOTAS: Mapping[str, int] = {
    "rules-per-application-load-balancer": 100,
    "target-groups-per-application-load-balancer": 100,
}
RULES_PER_SERVICE = 1  # modules/service: one forward rule (path, path/*)
MAX_PATTERN = 128  # characters in one path-pattern value
LONGEST_PATTERN_SUFFIX = "/*"  # the longest value a service's rule adds to its path
MAX_HEALTH_PATH = 1024
HEALTH_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*")
MAX_TASK_DEFINITION = 64 * 1024  # bytes of JSON ECS accepts for one task definition
TASK_DEFINITION_OVERHEAD = 4 * 1024  # what Flotilla adds besides env and secrets (generous)


def check_quotas(services: list[Service], quotas: Mapping[str, int], source: str) -> list[str]:
    """One line per quota the environment's services would exceed."""
    lines = []
    rules = len(services) * RULES_PER_SERVICE
    limit = quotas["rules-per-application-load-balancer"]
    if rules > limit:
        lines.append(
            f"{len(services)} services need {rules} listener rules; the load balancer allows "
            f"{limit} ({source}); split the services over environments or raise the quota"
        )
    limit = quotas["target-groups-per-application-load-balancer"]
    if len(services) > limit:
        lines.append(
            f"{len(services)} services need {len(services)} target groups; the load balancer "
            f"allows {limit} ({source}); raise the quota"
        )
    return lines


def account_quotas(account: Account) -> dict[str, int]:
    """The account's own ELBv2 limits (the documented defaults where it names none)."""
    client = account.client("elbv2")
    found = dict(DEFAULT_QUOTAS)
    for limit in client.describe_account_limits().get("Limits", []):
        name, value = limit.get("Name"), limit.get("Max")
        if name in found and value is not None:
            found[name] = int(float(value))
    return found


@rule
def quotas(inputs: Inputs) -> Iterator[Violation]:
    source = "documented default; the account's own quota is read before a non-local deploy"
    for line in check_quotas(inputs.services, DEFAULT_QUOTAS, source):
        yield Violation.plain(f"{inputs.project.services_dir}: {line}")


@rule
def priorities(inputs: Inputs) -> Iterator[Violation]:
    """Rule priorities come from the name; two names must not share one."""
    owner: dict[int, str] = {}
    for service in sorted(inputs.services, key=lambda s: s.name):
        p = priority(service.name)
        if p in owner:
            yield Violation(
                service.source,
                "name",
                f"gets listener-rule priority {p} (of 1..{MAX_PRIORITY}), the same as service "
                f"{owner[p]!r}; rename one of them",
                service.name,
            )
        owner.setdefault(p, service.name)


@rule
def paths(inputs: Inputs) -> Iterator[Violation]:
    for service in inputs.services:
        m = service.manifest
        longest = m.path + LONGEST_PATTERN_SUFFIX
        if len(longest) > MAX_PATTERN:
            yield Violation(
                service.source,
                "path",
                f"gives listener path pattern {longest!r} ({len(longest)} characters); ALB "
                f"allows {MAX_PATTERN}, so path may have at most "
                f"{MAX_PATTERN - len(LONGEST_PATTERN_SUFFIX)}",
                m.path,
            )
        health = m.health_path
        if len(health) > MAX_HEALTH_PATH or not HEALTH_PATH.fullmatch(health):
            yield Violation(
                service.source,
                "health",
                f"not a health-check path ALB accepts: '/' then at most {MAX_HEALTH_PATH} "
                "URL path characters (no spaces, '?', '#' or non-ASCII)",
                health,
            )


def container_json(env: dict[str, str], secrets: dict[str, str]) -> int:
    """Bytes the environment and secrets add to the task definition's JSON."""
    data: dict[str, Any] = {
        "environment": [{"name": k, "value": v} for k, v in env.items()],
        "secrets": [{"name": k, "valueFrom": v} for k, v in secrets.items()],
    }
    return len(json.dumps(data).encode())


@rule
def task_definition_size(inputs: Inputs) -> Iterator[Violation]:
    budget = MAX_TASK_DEFINITION - TASK_DEFINITION_OVERHEAD
    over: dict[tuple[str, int], list[str]] = {}
    for env, service, m in inputs.per_env():
        size = container_json(m.env, m.secrets)
        if size > budget:
            over.setdefault((service.source, size), []).append(env)
    for (source, size), envs in over.items():
        yield Violation(
            source,
            "env",
            f"[env] and [secrets] take {size} bytes of the task definition in "
            f"{', '.join(envs)}; ECS allows {MAX_TASK_DEFINITION} in all, so at most {budget} "
            "here (move large values to a file in the image or to [secrets])",
        )
