"""ECS tasks as Docker containers: one container per task, labelled so they can be found again.

A task's address is its container's bridge IP and container port, the way an awsvpc task has
its own IP (target Id = IP, Port = containerPort). The port is also published on 127.0.0.1 at
an ephemeral port, for `curl` against one task.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

from flotilla.deploy.build.client import docker_sdk
from flotilla.errors import UsageError
from flotilla.local.paths import LABEL
from flotilla.local.registry import ecr_credentials
from flotilla.local.snapshot import Service
from flotilla.local.task import INTERNAL_LABEL
from flotilla.runtime import network


def docker_client() -> Any:
    return docker_sdk().from_env()


ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?=/)")


@dataclass
class TaskSpec:
    """What one task of a service runs, from its task definition."""

    image: str
    port: int
    internal_port: int  # /metrics and /stats; the target group never uses it
    env: dict[str, str]
    secrets: list[dict[str, str]]
    user: str | None
    read_only: bool
    stop_timeout: int
    memory: int | None
    command: list[str] | None
    entrypoint: list[str] | None
    healthcheck: dict[str, Any] | None


def container_def(svc: Service, td: dict[str, Any]) -> dict[str, Any]:
    defs = td["containerDefinitions"]
    named = [c for c in defs if c["name"] == svc.container_name]
    essential = [c for c in defs if c.get("essential", True)]
    return (named or essential or defs)[0]  # type: ignore[no-any-return]


def spec(svc: Service, td: dict[str, Any]) -> TaskSpec:
    c = container_def(svc, td)
    ports = [p["containerPort"] for p in c.get("portMappings", [])]
    hc = c.get("healthCheck")
    ns = 1_000_000_000
    memory = c.get("memory") or td.get("memory")
    env = {e["name"]: e["value"] for e in c.get("environment", [])}
    return TaskSpec(
        image=c["image"],
        port=int(svc.container_port or (ports[0] if ports else 80)),
        internal_port=internal_port(env),
        env=env,
        secrets=list(c.get("secrets", [])),
        user=c.get("user"),
        read_only=bool(c.get("readonlyRootFilesystem", False)),
        stop_timeout=int(c.get("stopTimeout") or 30),
        memory=int(memory) if memory else None,
        command=c.get("command"),
        entrypoint=c.get("entryPoint"),
        healthcheck=None
        if not hc
        else {
            "test": hc["command"],
            "interval": int(hc.get("interval", 30)) * ns,
            "timeout": int(hc.get("timeout", 5)) * ns,
            "retries": int(hc.get("retries", 3)),
            "start_period": int(hc.get("startPeriod", 0)) * ns,
        },
    )


def internal_port(env: dict[str, str]) -> int:
    """The task's internal port, as its runtime reads it from the task definition's env."""
    try:
        return network.internal_port(env)
    except UsageError:
        return network.INTERNAL_PORT  # the runtime refuses to start; nothing listens anyway


def registry_host(registry_port: int) -> str:
    return os.environ.get("FLOTILLA_REGISTRY") or f"127.0.0.1:{registry_port}"


def ensure_image(docker: Any, ecr: Any, image: str, registry_port: int) -> str:
    """The local reference of `image`, pulled from the local registry (ECR's stand-in) if needed.

    An ECR host in the task definition is rewritten to the local registry, as deploy pushed there.
    """
    not_found = docker_sdk().errors.ImageNotFound
    ref = ECR_HOST.sub(registry_host(registry_port), image)
    for local in (image, ref):
        try:
            docker.images.get(local)
            return local
        except not_found:
            continue
    auth = None
    try:
        user, password = ecr_credentials(ecr)
        auth = {"username": user, "password": password}
    except Exception:
        pass
    repo, _, digest = ref.partition("@")
    if digest:
        docker.images.pull(repo, tag=digest, auth_config=auth)
    else:
        name, _, tag = repo.rpartition(":") if ":" in repo.rsplit("/", 1)[-1] else (repo, "", "")
        docker.images.pull(name, tag=tag or "latest", auth_config=auth)
    return ref


def run(
    docker: Any, env_id: str, svc: Service, image: str, s: TaskSpec, secrets: dict[str, str]
) -> Any:
    task_id = uuid.uuid4().hex
    kw: dict[str, Any] = {
        "name": f"flotilla-{svc.name}-{task_id[:8]}",
        "detach": True,
        "environment": {**s.env, **secrets},
        "labels": {
            LABEL: "1",
            "flotilla.env": env_id,
            "flotilla.cluster": svc.cluster,
            "flotilla.service": svc.name,
            "flotilla.task": task_id,
            "flotilla.taskdef": svc.task_definition,
            "flotilla.port": str(s.port),
            INTERNAL_LABEL: str(s.internal_port),
            "flotilla.stop_timeout": str(s.stop_timeout),
        },
        "ports": {f"{s.port}/tcp": ("127.0.0.1", None)},
        "read_only": s.read_only,
        "stop_signal": "SIGTERM",
    }
    if s.read_only:
        kw["tmpfs"] = {"/tmp": "rw,nosuid,nodev,size=64m"}
    if s.user:
        kw["user"] = s.user
    if s.memory:
        kw["mem_limit"] = f"{s.memory}m"
    if s.command:
        kw["command"] = s.command
    if s.entrypoint:
        kw["entrypoint"] = s.entrypoint
    if s.healthcheck:
        kw["healthcheck"] = s.healthcheck
    return docker.containers.run(image, **kw)


def ours(docker: Any, env_id: str) -> list[Any]:
    """Every container (running or not) this environment started.

    The SDK inspects each listed container; one removed in between (a rollout's old task) is
    skipped instead of failing the whole listing."""
    found = docker.containers.list(
        all=True, filters={"label": f"flotilla.env={env_id}"}, ignore_removed=True
    )
    return list(found)


def address(container: Any) -> tuple[str, int, int | None]:
    """(bridge IP, container port, published 127.0.0.1 port)."""
    port = int(container.labels["flotilla.port"])
    net = container.attrs["NetworkSettings"]
    ip = net.get("IPAddress") or next(
        (n["IPAddress"] for n in net.get("Networks", {}).values() if n.get("IPAddress")), ""
    )
    bound = (net.get("Ports") or {}).get(f"{port}/tcp") or []
    host_port = int(bound[0]["HostPort"]) if bound else None
    return ip, port, host_port
