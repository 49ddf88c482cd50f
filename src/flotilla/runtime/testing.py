"""Test helper: serve an app (or a service folder) with a real uvicorn on 127.0.0.1 in a thread.

with serve_in_thread(service_folder) as base_url:
    httpx.get(f"{base_url}/orders/healthz")
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from flotilla.process import free_port, stop
from flotilla.runtime.app import RuntimeApp
from flotilla.runtime.asgi import ASGIApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.server import KEEP_ALIVE_SECONDS

STARTUP_SECONDS = 20.0


def service_app(folder: Path, framework: str | None = None) -> RuntimeApp:
    from flotilla.runtime.loader import load_service

    return RuntimeApp([load_service(folder, framework)], lifecycle=Lifecycle())


@contextmanager
def serve_in_thread(app: ASGIApp | Path, framework: str | None = None) -> Iterator[str]:
    """Yield the base URL of a real HTTP server (ephemeral port) running `app`."""
    asgi = service_app(app, framework) if isinstance(app, Path) else app
    config = uvicorn.Config(
        asgi,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="flotilla-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_process(
    folder: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `flotilla serve FOLDER` as a real process on 127.0.0.1; yield (base URL, process).

    The process is stopped (SIGTERM, then SIGKILL) on exit unless the caller already did.
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
    proc = subprocess.Popen(cmd, stdout=out, stderr=errors, env={**os.environ, **(env or {})})
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
