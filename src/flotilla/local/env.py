"""`flotilla local up|down`: start and stop the ENV=local daemon of a project."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from flotilla.errors import FlotillaError, UsageError
from flotilla.local.emulator import is_up
from flotilla.local.paths import LocalPaths, claim, holder, local_paths, read_json, unclaim
from flotilla.process import alive, stop_pid
from flotilla.project import Project


def daemon_pid(paths: LocalPaths) -> int | None:
    try:
        pid = int(paths.pid.read_text())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def preflight(project: Project) -> None:
    """Everything `up` needs, checked before it starts anything."""
    from flotilla.deploy.build.client import docker_sdk
    from flotilla.local.alb import haproxy_binary
    from flotilla.local.tasks import docker_client

    haproxy_binary()
    try:
        docker_client().ping()
    except docker_sdk().errors.DockerException as exc:
        raise FlotillaError(
            f"the Docker daemon is not reachable: {exc}", hint="run `bash scripts/dockerd.sh`"
        ) from None
    from flotilla.deploy.environments import load_all, settings_hint
    from flotilla.local.target import local_environments

    cfg = project.config.local
    ports = {"flotilla.toml [local].registry_port": cfg.registry_port}
    found = load_all(project)  # every file valid, or exit 2
    for env, port in local_environments(project).items():
        own = env in found and found[env].spec.alb_port is not None
        where = f"{settings_hint(env)}: alb_port" if own else "flotilla.toml [local].alb_port"
        ports[where] = port
    if not is_up(f"http://127.0.0.1:{cfg.emulator_port}"):
        ports["flotilla.toml [local].emulator_port"] = cfg.emulator_port
    for key, port in ports.items():
        if _port_busy(port):
            other = holder(port)
            if other is not None:
                raise UsageError(
                    f"{key} = {port}: 127.0.0.1:{port} is held by the "
                    f"local environment of Flotilla project {other.project!r} "
                    f"(started from {other.root})",
                    hint="stop it there (`flotilla local down`), or choose other ports here",
                )
            raise UsageError(
                f"{key} = {port}: port 127.0.0.1:{port} is already in use",
                hint="stop what listens there, or choose another port there",
            )


def _wait_lanes(project: Project, paths: LocalPaths, timeout: float) -> None:
    """A running daemon picks up new local environment files within a tick: wait for each
    one's ALB (bounded), so that `up` after `env new` returns with every one serving."""
    from flotilla.local.target import local_environments

    envs = local_environments(project)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = [e for e in envs if not paths.of(e).status.exists()]
        if not missing:
            claim(project, paths.root)
            return
        time.sleep(0.2)
    raise FlotillaError(
        f"local environment {', '.join(missing)} did not start its ALB within "
        f"{timeout:.0f}s; see {paths.log}"
    )


def statuses(project: Project) -> dict[str, dict[str, Any]]:
    """Each running local environment's status record, by name."""
    from flotilla.local.target import local_environments

    paths = local_paths(project)
    found = {}
    for env in local_environments(project):
        with contextlib.suppress(OSError, ValueError):
            found[env] = dict(read_json(paths.of(env).status))
    return found


def up(project: Project, timeout: float = 90.0) -> dict[str, Any]:
    """Start the daemon (idempotent); the default environment's status record."""
    paths = local_paths(project)
    if daemon_pid(paths) and paths.status.exists():
        _wait_lanes(project, paths, 30.0)
        return dict(read_json(paths.status))
    preflight(project)
    paths.dir.mkdir(parents=True, exist_ok=True)
    paths.status.unlink(missing_ok=True)
    with open(paths.log, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flotilla.local.daemon", "--root", str(project.root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=project.root,
        )
    paths.pid.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = paths.log.read_text(errors="replace").splitlines()[-15:]
            raise FlotillaError("the local environment did not start:\n" + "\n".join(tail))
        if paths.status.exists():
            _wait_lanes(project, paths, max(1.0, deadline - time.monotonic()))
            return dict(read_json(paths.status))
        time.sleep(0.2)
    down(project)
    raise FlotillaError(
        f"the local environment did not start within {timeout:.0f}s; see {paths.log}"
    )


def down(project: Project, timeout: float = 120.0) -> bool:
    """Stop the daemon (it stops its containers, ALB, registry, emulator). False if none ran."""
    paths = local_paths(project)
    children: list[int] = []
    for status in [paths.status, *paths.dir.glob("envs/*/status.json")]:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            children += list(read_json(status).get("children", []))
    pid = daemon_pid(paths)
    if pid:
        stop_pid(pid, timeout)
    # Whatever a crashed daemon left behind: its children and its containers.
    for child in children:
        if alive(child):
            os.kill(child, signal.SIGTERM)
    _remove_containers(paths)
    paths.pid.unlink(missing_ok=True)
    paths.status.unlink(missing_ok=True)
    for status in paths.dir.glob("envs/*/status.json"):
        status.unlink(missing_ok=True)
    unclaim(project, paths.root)
    return pid is not None


def _remove_containers(paths: LocalPaths) -> None:
    try:
        from flotilla.local.tasks import docker_client, ours

        for c in ours(docker_client(), paths.env_id):
            c.remove(force=True)
    except Exception:
        pass
