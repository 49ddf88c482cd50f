"""uvicorn, configured for a container behind an ALB, with a graceful drain on SIGTERM.

SIGTERM: readiness turns 503 at once, the server keeps serving while requests are in
flight (at most FLOTILLA_DRAIN_SECONDS), then stops accepting, finishes and exits 0.
SIGINT (Ctrl-C) keeps uvicorn's immediate behaviour.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.supervisors.multiprocess import Process

from flotilla.errors import UsageError
from flotilla.runtime.app import RuntimeApp
from flotilla.runtime.lifecycle import STATE, drain_seconds

KEEP_ALIVE_SECONDS = 75  # longer than the ALB's 60 s idle timeout, so the ALB closes first
ENV_DIR = "FLOTILLA_SERVICE_DIR"
ENV_FRAMEWORK = "FLOTILLA_FRAMEWORK"


def create_app() -> RuntimeApp:
    """uvicorn factory (each worker calls it): the service named by FLOTILLA_SERVICE_DIR."""
    from flotilla.runtime.loader import load_service

    return RuntimeApp(
        [load_service(Path(os.environ[ENV_DIR]), os.environ.get(ENV_FRAMEWORK) or None)]
    )


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.drain = drain_seconds()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and not self.should_exit:
            # Not recorded in _captured_signals: uvicorn would re-raise it and exit 143.
            STATE.begin_drain(self.drain)
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if STATE.draining and not self.should_exit and STATE.drained():
            self.config.timeout_graceful_shutdown = max(1, round(STATE.remaining()))
            self.should_exit = True
        return await super().on_tick(counter)


class DrainingProcess(Process):
    """A uvicorn worker process whose server is a DrainingServer (pickled into the child)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = DrainingServer(config=self.config)
        return self._server


def workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise UsageError(f"environment variable WEB_CONCURRENCY = {raw!r} must be 1..64")
    return int(raw)


def serve(folder: Path, *, host: str, port: int | None, framework: str | None) -> None:
    """Run one service as its container does (port: default the manifest's); validates
    before binding anything."""
    from flotilla.runtime.loader import check_framework, mount_service, read_service

    check_framework(framework)
    manifest = read_service(folder)
    drain_seconds()  # validated here, read again by each worker
    count = workers()
    os.environ[ENV_DIR] = str(folder.resolve())
    os.environ[ENV_FRAMEWORK] = framework or ""
    if count > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers share metrics through files; /tmp is the only writable place in the image.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="flotilla-prom-")
    # One worker: build the app here so import errors surface before the port is bound.
    app: RuntimeApp | str = "flotilla.runtime.server:create_app"
    if count == 1:
        app = RuntimeApp([mount_service(manifest, folder, framework)])
    config = uvicorn.Config(
        app,
        factory=count > 1,
        host=host,
        port=port or manifest.port,
        workers=count,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,  # ours is JSON, with route template and request id
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips="*",  # only the ALB can reach the task
        lifespan="on",
    )
    if count > 1:
        from uvicorn.supervisors import multiprocess

        # uvicorn builds each worker's Server inside Process; ours drains instead.
        multiprocess.Process = DrainingProcess  # type: ignore[misc]
        sock = config.bind_socket()
        multiprocess.Multiprocess(config, sockets=[sock]).run()
    else:
        DrainingServer(config).run()
