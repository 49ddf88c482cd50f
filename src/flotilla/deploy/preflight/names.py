"""Names AWS and Docker enforce, for every name Flotilla derives from the project, the
environment and the service (see infra/terraform/modules/*/main.tf for where each is made).

Each rule reports the setting the name came from (flotilla.toml `project.name` or the
service's `name`/`version`), the name it produces and what AWS or Docker allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flotilla.deploy.preflight import Inputs, Violation, rule

# Docker: a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (distribution/reference).
DOCKER_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# ECR: (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*, 2..256 characters.
_ECR_PART = r"[a-z0-9]+(?:[._-][a-z0-9]+)*"
ECR_REPOSITORY = re.compile(rf"(?:{_ECR_PART}/)*{_ECR_PART}")
# ELBv2 load balancer and target group names: 1..32 of [A-Za-z0-9-], no '-' at either end.
ELB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
IAM_ROLE = re.compile(r"[\w+=,.@-]{1,64}")
LOG_GROUP = re.compile(r"[\w./#-]{1,512}")


@dataclass(frozen=True)
class Derived:
    """One name Flotilla makes, and what it is made from."""

    kind: str
    name: str
    pattern: re.Pattern[str]
    allowed: str


def alb_name(project: str, env: str) -> str:
    return f"{project}-{env}"


def role_names(project: str, env: str, service: str) -> tuple[str, str]:
    """The task execution and task roles (modules/service: substr(full, 0, 58)-exec|-task)."""
    full = f"{project}-{env}-{service}"[:58]
    return f"{full}-exec", f"{full}-task"


def log_group(project: str, env: str, service: str) -> str:
    return f"/ecs/{project}-{env}/{service}"


def repository(project: str, service: str) -> str:
    """The ECR repository (flotilla.deploy.ecr.repository_name)."""
    return f"{project}/{service}"


def version_tag(version: str) -> str:
    return f"v{version}"


def environment_problems(project: str, env: str, *, derived: bool = True) -> list[str]:
    """What is wrong with `env` as an environment name, by the names AWS gets from it: the
    name itself is a file name and an S3 key segment (the ECR part rule: lowercase letters
    and digits separated by single '.', '_' or '-'), then (with `derived`) the load
    balancer, roles and log groups made from the project and it. For defined environments
    the `project_names` and `service_names` rules report those against flotilla.toml."""
    if not re.fullmatch(_ECR_PART, env):
        return [
            "lowercase letters and digits separated by single '.', '_' or '-' "
            "(it names a file, an S3 key and AWS resources)"
        ]
    if not derived:
        return []
    names = [
        Derived(
            "load balancer name",
            alb_name(project, env),
            ELB_NAME,
            "AWS allows 1-32 of [A-Za-z0-9-], no '-' at either end, not 'internal-'",
        ),
        *(
            Derived("IAM role", role, IAM_ROLE, "IAM allows 1-64 of [A-Za-z0-9+=,.@_-]")
            for role in role_names(project, env, "x")
        ),
        Derived(
            "log group",
            log_group(project, env, "x"),
            LOG_GROUP,
            "CloudWatch allows 1-512 of [A-Za-z0-9._/#-]",
        ),
    ]
    return [
        f"gives {d.kind} {d.name!r} ({len(d.name)} characters); {d.allowed}"
        for d in names
        if _bad(d)
    ]


def _bad(d: Derived) -> bool:
    return not d.pattern.fullmatch(d.name) or (
        d.kind == "load balancer name" and d.name.startswith("internal-")
    )


@rule
def project_names(inputs: Inputs) -> Iterator[Violation]:
    """The load balancer is named <project>-<env>: 32 characters at most, in every environment."""
    where = str(inputs.project.root / "flotilla.toml")
    project = inputs.project.name
    if not re.fullmatch(_ECR_PART, project):
        yield Violation(
            where,
            "project.name",
            f"gives ECR repositories '{project}/<service>'; ECR allows lowercase letters and "
            "digits separated by single '.', '_' or '-' (no '-' at the end, no '--')",
            project,
        )
    for env in inputs.environments:
        d = Derived(
            "load balancer name",
            alb_name(project, env),
            ELB_NAME,
            "AWS allows 1-32 of [A-Za-z0-9-], no '-' at either end, not 'internal-'",
        )
        if _bad(d):
            yield Violation(
                where,
                "project.name",
                f"gives {d.kind} {d.name!r} ({len(d.name)} characters) in {env}; {d.allowed}",
                project,
            )


@rule
def service_names(inputs: Inputs) -> Iterator[Violation]:
    project = inputs.project.name
    for service in inputs.services:
        name = service.name
        names = [
            Derived(
                "ECR repository",
                repository(project, name),
                ECR_REPOSITORY,
                "ECR allows lowercase letters and digits separated by single '.', '_' or '-' "
                "(no '-' at the end, no '--')",
            )
        ]
        if not re.fullmatch(_ECR_PART, project):
            names.pop()  # reported once, against project.name
        for env in inputs.environments:
            names += [
                Derived("IAM role", role, IAM_ROLE, "IAM allows 1-64 of [A-Za-z0-9+=,.@_-]")
                for role in role_names(project, env, name)
            ]
            names.append(
                Derived(
                    "log group",
                    log_group(project, env, name),
                    LOG_GROUP,
                    "CloudWatch allows 1-512 of [A-Za-z0-9._/#-]",
                )
            )
        for d in names:
            if _bad(d):
                yield Violation(
                    service.source, "name", f"gives {d.kind} {d.name!r}; {d.allowed}", name
                )
                break


@rule
def version_tags(inputs: Inputs) -> Iterator[Violation]:
    """Every tag Flotilla writes: c-<hash> and git-<sha> are safe by construction, v<version>
    comes from the manifest (semver build metadata '+...' is not a valid Docker tag)."""
    for service in inputs.services:
        tag = version_tag(service.manifest.version)
        if not DOCKER_TAG.fullmatch(tag):
            plus = " (no '+': drop the build metadata)" if "+" in tag else ""
            yield Violation(
                service.source,
                "version",
                f"gives image tag {tag!r}; Docker allows 1-128 of [A-Za-z0-9_.-]{plus}",
                service.manifest.version,
            )


@rule
def truncated_collisions(inputs: Inputs) -> Iterator[Violation]:
    """Role names are cut to 64 characters: two services must not end up with the same one."""
    project = inputs.project.name
    for env in inputs.environments:
        seen: dict[str, str] = {}
        for service in inputs.services:
            role = role_names(project, env, service.name)[0]
            other = seen.setdefault(role, service.name)
            if other != service.name:
                yield Violation(
                    service.source,
                    "name",
                    f"gives IAM role {role!r} in {env}, the same as service {other!r} after "
                    "truncation to 64 characters; make the names differ in their first "
                    f"{58 - len(project) - len(env) - 2} characters",
                    service.name,
                )
