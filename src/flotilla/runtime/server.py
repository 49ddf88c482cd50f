"""uvicorn, configured for a container behind an ALB, with a graceful drain on SIGTERM.

uvicorn on uvloop and httptools: measured against granian and uvicorn's h11 in
bench/results/runtime.md (both are pinned in the service locks).

SIGTERM: readiness turns 503 at once, the server keeps serving while requests are in
flight (at most FLOTILLA_DRAIN_SECONDS), then stops accepting, finishes and exits 0.
SIGINT (Ctrl-C) keeps uvicorn's immediate behaviour.

Two sockets, one app: the service port (what the load balancer forwards to) and the internal
port (`/metrics`, `/stats`; see `flotilla.runtime.network`). Whatever server replaces uvicorn
must keep both: bind the internal port separately, pass its number to `RuntimeApp`, and take
`forwarded_allow_ips` from `network.trusted_proxies()`, never `*`.
"""

from __future__ import annotations

import os
import signal
import socket
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.supervisors.multiprocess import Process

from flotilla.errors import UsageError
from flotilla.runtime import network
from flotilla.runtime.app import RuntimeApp
from flotilla.runtime.lifecycle import STATE, drain_seconds
from flotilla.runtime.protocol import HttpProtocol

LOOP = "uvloop"
HTTP = HttpProtocol  # httptools, h11 for what llhttp cannot parse (see runtime.protocol)
KEEP_ALIVE_SECONDS = 75  # longer than the ALB's 60 s idle timeout, so the ALB closes first
ENV_DIR = "FLOTILLA_SERVICE_DIR"
ENV_FRAMEWORK = "FLOTILLA_FRAMEWORK"


def create_app() -> RuntimeApp:
    """uvicorn factory (each worker calls it): the service named by FLOTILLA_SERVICE_DIR."""
    from flotilla.runtime.loader import load_service

    return RuntimeApp(
        [load_service(Path(os.environ[ENV_DIR]), os.environ.get(ENV_FRAMEWORK) or None)],
        internal_port=network.internal_port(),
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


def serve(
    folder: Path,
    *,
    host: str,
    port: int | None,
    framework: str | None,
) -> None:
    """Run one service as its container does (port: default the manifest's; internal port:
    FLOTILLA_INTERNAL_PORT, default 9100); validates before binding anything."""
    from flotilla.runtime.loader import check_framework, mount_service, read_service

    check_framework(framework)
    manifest = read_service(folder)
    drain_seconds()  # validated here, read again by each worker
    count = workers()
    proxies = network.trusted_proxies()
    public = port or manifest.port
    internal = network.internal_port()
    if internal == public:
        raise UsageError(
            f"internal port {internal} (/metrics, /stats) must differ from the service port "
            f"{public}; set {network.ENV_INTERNAL_PORT} to another port"
        )
    os.environ[ENV_DIR] = str(folder.resolve())
    os.environ[ENV_FRAMEWORK] = framework or ""
    if count > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers share metrics through files; /tmp is the only writable place in the image.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="flotilla-prom-")
    # One worker: build the app here so import errors surface before the port is bound.
    app: RuntimeApp | str = "flotilla.runtime.server:create_app"
    if count == 1:
        app = RuntimeApp([mount_service(manifest, folder, framework)], internal_port=internal)
    config = uvicorn.Config(
        app,
        factory=count > 1,
        host=host,
        port=public,
        workers=count,
        loop=LOOP,
        http=HTTP,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,  # ours is JSON, with route template and request id
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=proxies,  # the VPC's CIDR (from Terraform), never "*"
        lifespan="on",
    )
    sockets = [config.bind_socket(), bind_internal(host, internal)]
    if count > 1:
        from uvicorn.supervisors import multiprocess

        # uvicorn builds each worker's Server inside Process; ours drains instead.
        multiprocess.Process = DrainingProcess  # type: ignore[misc]
        multiprocess.Multiprocess(config, sockets=sockets).run()
    else:
        DrainingServer(config).run(sockets=sockets)


def bind_internal(host: str, port: int) -> socket.socket:
    """The internal port's listening socket, bound like uvicorn binds the service port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on internal port {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
