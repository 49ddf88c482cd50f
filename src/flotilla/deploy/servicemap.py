"""Manifests -> the service map, `build/<env>/services.tfvars.json`, Terraform's only input
about services (schema: docs/architecture.md and infra/terraform/README.md).

Each service gets a listener-rule `priority` derived from its name alone, so adding or removing
a service never reorders another's rules. Terraform uses `2p + 1` (forward; `2p` once hid
metrics and stats, which now live on the internal port), hence the range 1..24999 (ALB
priorities stop at 50000).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flotilla.deploy.environments import check
from flotilla.deploy.release import ServiceSpec, Slo
from flotilla.discovery import Service
from flotilla.errors import UsageError
from flotilla.manifest import OPENAPI_ENV
from flotilla.project import Project

MAX_PRIORITY = 24_999
# What infra/terraform/variables.tf's `services` object declares; other spec fields (checks
# run after the rollout) are the ledger's, not Terraform's.
TERRAFORM_FIELDS = {
    "path",
    "port",
    "health",
    "cpu",
    "memory",
    "count",
    "min",
    "max",
    "env",
    "secrets",
    "slo",
    "image",
}
IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9.-]*(:[0-9]+)?/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$")


def priority(name: str) -> int:
    """A stable rule priority in 1..24999 from the service name (sha256, not `hash()`)."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return digest % MAX_PRIORITY + 1


def service_spec(svc: Service, env: str, image: str) -> ServiceSpec:
    """The one place a manifest becomes a service-map entry (what the ledger records too)."""
    m = svc.manifest.for_env(env)
    return ServiceSpec(
        path=m.path,
        port=m.port,
        health=m.health_path,
        cpu=m.cpu,
        memory=m.memory,
        count=m.count,
        min=m.min,
        max=m.max,
        env=dict(sorted({**m.env, OPENAPI_ENV: str(svc.manifest.openapi_in(env)).lower()}.items())),
        secrets=dict(sorted(m.secrets.items())),
        slo=Slo(p99_ms=m.slo.p99_ms, availability=m.slo.availability),
        smoke=m.smoke,
        verify_seconds=m.verify_seconds,
        verify_min_requests=m.verify_min_requests,
        image=image,
    )


def service_specs(
    services: list[Service], env: str, images: dict[str, str]
) -> dict[str, ServiceSpec]:
    """Each service's spec for `env` (validated before: see flotilla.deploy.validate);
    UsageError when a service has no image."""
    missing = [s.name for s in services if s.name not in images]
    if missing:
        raise UsageError(f"no image for service(s) {', '.join(missing)} in the service map")
    return {s.name: service_spec(s, env, images[s.name]) for s in services}


def service_map(specs: dict[str, ServiceSpec]) -> dict[str, Any]:
    """`{"services": {name: {...}}}`: the specs' Terraform fields plus each rule priority.

    Raises UsageError (before anything is written) for an unpinned image or a priority
    collision."""
    entries: dict[str, dict[str, Any]] = {}
    owner: dict[int, str] = {}
    for name in sorted(specs):
        spec = specs[name]
        if not IMAGE_REF.match(spec.image):
            raise UsageError(
                f"service {name}: image {spec.image!r} must be pinned by digest, "
                "'<registry>/<repository>@sha256:<64 hex>'"
            )
        p = priority(name)
        if p in owner:
            raise UsageError(
                f"services {owner[p]!r} and {name!r} get the same listener-rule priority {p}",
                hint="rename one of them (priorities are derived from the name)",
            )
        owner[p] = name
        entries[name] = {**spec.model_dump(include=TERRAFORM_FIELDS), "priority": p}
    return {"services": entries}


def build_service_map(
    services: list[Service],
    env: str,
    images: dict[str, str],
    *,
    project: Project | None = None,
) -> dict[str, Any]:
    """The service map for `env` from manifests, `[environments.<env>]` overrides applied.

    `images` maps each service name to `repository_url@sha256:<digest>`; with `project`,
    `env` must be one of its environments."""
    if project is not None:
        check(project, env)
    return service_map(service_specs(services, env, images))


def service_map_path(project: Project, env: str) -> Path:
    return project.build_dir / env / "services.tfvars.json"


def write_service_map(
    project: Project, env: str, services: list[Service], images: dict[str, str]
) -> Path:
    """`write_specs` for manifests and their images (`env` one of the project's)."""
    check(project, env)
    return write_specs(project, env, service_specs(services, env, images))


def write_specs(project: Project, env: str, specs: dict[str, ServiceSpec]) -> Path:
    """Write `build/<env>/services.tfvars.json` (stable key order, so diffs stay small).

    The file also sets `project` from flotilla.toml, so resource names follow the project.
    """
    data = {"project": project.name, **service_map(specs)}
    path = service_map_path(project, env)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
