"""`flotilla logs --env local SERVICE`: the service's task containers, prefixed by task."""

from __future__ import annotations

import sys
import threading
from typing import Any

from flotilla.errors import FlotillaError, UsageError
from flotilla.local.paths import local_paths
from flotilla.project import load_project


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


def show(service: str, follow: bool = False, tail: int = 200) -> None:
    from flotilla.deploy.build.client import docker_sdk
    from flotilla.local.tasks import docker_client, ours

    paths = local_paths(load_project())
    try:
        containers = ours(docker_client(), paths.env_id)
    except docker_sdk().errors.DockerException as exc:
        raise FlotillaError(f"the Docker daemon is not reachable: {exc}") from None
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
