"""Test helper: serve an app (or a service folder) with a real uvicorn on 127.0.0.1 in a thread.

with serve_in_thread(service_folder) as base_url:
    httpx.get(f"{base_url}/orders/healthz")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from flotilla.runtime.app import RuntimeApp
from flotilla.runtime.asgi import ASGIApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.server import KEEP_ALIVE_SECONDS

STARTUP_SECONDS = 20.0


def service_app(folder: Path, framework: str | None = None) -> RuntimeApp:
    from flotilla.runtime.loader import load_service

    return RuntimeApp([load_service(folder, framework)[1]], lifecycle=Lifecycle())


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
