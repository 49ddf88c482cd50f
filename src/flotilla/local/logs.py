"""`flotilla logs --env <local env> SERVICE`: the service's task containers, prefixed by task."""

from __future__ import annotations

import sys
import threading
from typing import Any

from flotilla.errors import FlotillaError, UsageError
from flotilla.local.paths import DEFAULT_ENV, LocalPaths, local_paths
from flotilla.project import load_project


def _clusters(paths: LocalPaths) -> set[str] | None:
    """The clusters whose services the environment's runtime reports (None: unknown)."""
    from flotilla.local import record

    try:
        data = record.read(paths.status)
    except (OSError, ValueError):
        return None
    return {key.split("/", 1)[0] for key in data.services}


def _pump(c: Any, follow: bool, tail: int, lock: threading.Lock) -> None:
    prefix = f"{c.labels['flotilla.service']}/{c.labels['flotilla.task'][:8]} | "
    stream = c.logs(stream=True, follow=follow, tail=tail)
    buf = b""
    for chunk in stream:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        with lock:
            for line in lines:
                sys.stdout.write(prefix + line.decode(errors="replace") + "\n")
            sys.stdout.flush()
    if buf:
        with lock:
            sys.stdout.write(prefix + buf.decode(errors="replace") + "\n")


def show(service: str, follow: bool = False, tail: int = 200, env: str = DEFAULT_ENV) -> None:
    from flotilla.deploy.build.client import docker_sdk
    from flotilla.local.tasks import docker_client, ours

    paths = local_paths(load_project(), env)
    try:
        containers = ours(docker_client(), paths.env_id)
    except docker_sdk().errors.DockerException as exc:
        raise FlotillaError(f"the Docker daemon is not reachable: {exc}") from None
    clusters = _clusters(paths)
    if clusters is not None:  # the environment's own tasks, not another local one's
        containers = [c for c in containers if c.labels.get("flotilla.cluster") in clusters]
    names = sorted({c.labels.get("flotilla.service", "") for c in containers})
    mine = [c for c in containers if c.labels.get("flotilla.service") == service]
    if not mine:
        allowed = ", ".join(names) or "none (is `flotilla local up` running a deploy?)"
        raise UsageError(f"no local tasks of service {service!r}; services with tasks: {allowed}")
    lock = threading.Lock()
    threads = [
        threading.Thread(target=_pump, args=(c, follow, tail, lock), daemon=True) for c in mine
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
