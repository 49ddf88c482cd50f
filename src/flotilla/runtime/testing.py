"""Test helper: serve an app (or a service folder) with a real uvicorn on 127.0.0.1 in a thread.

with serve_in_thread(service_folder) as base_url:
    httpx.get(f"{base_url}/orders/healthz")
with serve_pair(service_folder) as urls:  # also the internal port (/metrics, /stats)
    httpx.get(f"{urls.internal}/orders/metrics")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import uvicorn

from flotilla.process import free_port, stop
from flotilla.runtime import network
from flotilla.runtime.app import RuntimeApp
from flotilla.runtime.asgi import ASGIApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.server import HTTP, KEEP_ALIVE_SECONDS, LOOP

STARTUP_SECONDS = 20.0


def service_app(folder: Path, framework: str | None = None) -> RuntimeApp:
    from flotilla.runtime.loader import load_service

    return RuntimeApp([load_service(folder, framework)], lifecycle=Lifecycle())


class Bases(NamedTuple):
    public: str  # the service port, what the load balancer forwards to
    internal: str  # the internal port: /metrics and /stats


@contextmanager
def serve_in_thread(app: ASGIApp | Path, framework: str | None = None) -> Iterator[str]:
    """Yield the base URL of a real HTTP server (ephemeral port) running `app`."""
    with serve_pair(app, framework) as bases:
        yield bases.public


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_pair(app: ASGIApp | Path, framework: str | None = None) -> Iterator[Bases]:
    """Like serve_in_thread, with a second (internal) ephemeral port for a RuntimeApp."""
    asgi = service_app(app, framework) if isinstance(app, Path) else app
    sockets = [_listen(), _listen()]
    ports = [s.getsockname()[1] for s in sockets]
    if isinstance(asgi, RuntimeApp):
        asgi.internal_port = ports[1]
    config = uvicorn.Config(
        asgi,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        loop=LOOP,
        http=HTTP,  # the container's server, so tests see what production does
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, args=(sockets,), name="flotilla-test-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield Bases(*(f"http://127.0.0.1:{port}" for port in ports))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        for sock in sockets:
            sock.close()


@contextmanager
def serve_process(
    folder: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
    internal_port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `flotilla serve FOLDER` as a real process on 127.0.0.1; yield (base URL, process).

    The internal port is `internal_port` (default: a free one, never the fixed 9100 that
    parallel tests would share). The process is stopped (SIGTERM, then SIGKILL) on exit
    unless the caller already did.
    """
    import httpx

    from flotilla.runtime.loader import read_service

    port = free_port()
    prefix = read_service(folder).path
    cmd = [sys.executable, "-m", "flotilla.cli", "serve", str(folder), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), *args]
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    # stderr to a file, not a pipe: a full pipe would block the server.
    errors = tempfile.TemporaryFile()  # noqa: SIM115
    internal = {network.ENV_INTERNAL_PORT: str(internal_port or free_port())}
    proc = subprocess.Popen(
        cmd, stdout=out, stderr=errors, env={**os.environ, **internal, **(env or {})}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                errors.seek(0)
                err = errors.read().decode(errors="replace")
                raise RuntimeError(f"flotilla serve exited with {proc.returncode}: {err}")
            try:
                if httpx.get(f"{base}{prefix}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("flotilla serve did not become healthy")
            time.sleep(0.05)
        yield base, proc
    finally:
        stop(proc, timeout=15)
        errors.close()
        if stdout:
            out.close()  # type: ignore[union-attr]
