"""The runtime layer, written once as an ASGI wrapper around any service app (plugin or native):
`<path>/healthz`, `/readyz`, the access log, request ids, metrics with route-template labels,
and readiness that fails as soon as shutdown begins. `/metrics` and `/stats` answer only on the
internal port (`flotilla.runtime.network`); on the public port every spelling of them is 404."""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flotilla.runtime import accesslog, dispatch, network
from flotilla.runtime.asgi import ASGIApp, Message, Receive, Scope, Send, respond
from flotilla.runtime.lifecycle import STATE, Lifecycle
from flotilla.runtime.metrics import LATENCY, Metrics
from flotilla.runtime.stats import route_stats

log = logging.getLogger("flotilla.runtime")
UNMATCHED = "<unmatched>"  # the one label for paths no route matched (bounded cardinality)


@dataclass
class Mount:
    """One service inside the runtime: its prefix, app and readiness checks."""

    name: str
    prefix: str
    app: ASGIApp
    health: str | None = None
    ready_checks: list[Callable[[], Any]] = field(default_factory=list)


def route_label(scope: Scope) -> str | None:
    """The matched route template an adapter or framework left in the scope, if any."""
    label = scope.get(dispatch.ROUTE_KEY)
    if label is not None:
        return str(label)
    route = scope.get("route")  # Starlette/FastAPI put the matched route here
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


class RuntimeApp:
    """Serves runtime endpoints itself and forwards everything else to the mounted app."""

    def __init__(
        self,
        mounts: list[Mount],
        *,
        metrics: Metrics | None = None,
        lifecycle: Lifecycle = STATE,
        access_log: Callable[[str, str, str, int, float, str], None] = accesslog.write,
        internal_port: int | None = None,
    ) -> None:
        self.mounts = sorted(mounts, key=lambda m: len(m.prefix), reverse=True)
        self.metrics = metrics or Metrics()
        self.lifecycle = lifecycle
        self.access_log = access_log  # stdout in a container; tests may collect it instead
        # Requests arriving on this local port get the internal endpoints; None: nowhere.
        self.internal_port = internal_port
        self.prefixes = [m.prefix for m in self.mounts]
        self.endpoints: dict[str, tuple[Mount, str]] = {}
        self.internal: dict[str, tuple[Mount | None, str]] = {"/metrics": (None, "metrics")}
        for m in self.mounts:
            for name in network.PUBLIC_ENDPOINTS:
                self.endpoints[f"{m.prefix}/{name}"] = (m, name)
            for name in network.INTERNAL_ENDPOINTS:
                self.internal[f"{m.prefix}/{name}"] = (m, name)
            if m.health:
                self.endpoints.setdefault(m.health, (m, "healthz"))
        if len(self.mounts) == 1:
            self.internal["/stats"] = (self.mounts[0], "stats")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        if kind == "http" and self.on_internal_port(scope):
            await self._internal(path, scope, send)
            return
        endpoint = self.endpoints.get(path)
        if endpoint is not None and kind == "http":
            await self._runtime(endpoint[0], endpoint[1], scope, send)
            return
        if kind == "http" and network.is_internal(path, self.prefixes):
            await self._unmatched(scope, send)  # never forwarded: the app might decode further
            return
        mount = self._match(path)
        if mount is None:
            if kind == "http":
                await self._unmatched(scope, send)
            return
        if kind != "http":  # websockets go straight through
            await mount.app(self._child(scope, mount, path, scope["headers"]), receive, send)
            return
        await self._forward(mount, scope, receive, send)

    def on_internal_port(self, scope: Scope) -> bool:
        """True for a connection to the internal port (ASGI `server` is the local address)."""
        server = scope.get("server")
        return (
            server is not None
            and self.internal_port is not None
            and server[1] == self.internal_port
        )

    async def _internal(self, path: str, scope: Scope, send: Send) -> None:
        endpoint = self.internal.get(path)
        if endpoint is None:
            await self._unmatched(scope, send)
            return
        mount, name = endpoint
        await self._runtime(mount or self.mounts[0], name, scope, send)

    def _match(self, path: str) -> Mount | None:
        for m in self.mounts:
            if path == m.prefix or path.startswith(m.prefix + "/"):
                return m
        return None

    @staticmethod
    def _child(scope: Scope, mount: Mount, path: str, headers: Any) -> Scope:
        # The app sees root_path=prefix, as if mounted; "/orders" is its "/".
        if path == mount.prefix:
            path += "/"
        root = scope.get("root_path", "") + mount.prefix
        return {**scope, "root_path": root, "path": path, "headers": headers}

    async def _forward(self, mount: Mount, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        rid, sent = accesslog.request_id(headers)
        rid_bytes = rid.encode("latin-1")
        if not sent:
            headers = [*headers, (b"x-request-id", rid_bytes)]
        child = self._child(scope, mount, scope["path"], headers)
        method: str = scope["method"]
        head = method == "HEAD"
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                raw = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*raw, (b"x-request-id", rid_bytes)]}
            elif head and message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        self.lifecycle.inflight += 1
        start = time.perf_counter()
        try:
            await mount.app(child, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error in %s %s", method, scope["path"])
            if not started:
                err = dispatch.error(500, "internal server error")
                await respond(send_wrapper, 500, err.body, dispatch.JSON_TYPE)
        finally:
            self.lifecycle.inflight -= 1
            seconds = time.perf_counter() - start
            label = route_label(child)
            route = UNMATCHED if label is None else mount.prefix + label
            self.metrics.observe(mount.name, route, method, status, seconds)
            self.access_log(mount.name, method, route, status, seconds * 1000, rid)

    async def _unmatched(self, scope: Scope, send: Send) -> None:
        err = dispatch.not_found()
        await respond(send, 404, b"" if scope["method"] == "HEAD" else err.body, dispatch.JSON_TYPE)

    async def _runtime(self, mount: Mount, name: str, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            err = dispatch.error(405, "method not allowed")
            await respond(send, 405, err.body, dispatch.JSON_TYPE, [(b"allow", b"GET, HEAD")])
            return
        status, body, ctype = 200, b"", dispatch.JSON_TYPE
        if name == "healthz":
            body = b'{"status":"ok"}'
        elif name == "readyz":
            status, body = await self._ready(mount)
        elif name == "metrics":
            body, ctype = self.metrics.exposition(), self.metrics.content_type
        else:
            rows = route_stats(self.metrics.collect(), LATENCY, mount.name)
            doc = {"service": mount.name, "estimator": "histogram buckets, linear interpolation"}
            body = json.dumps({**doc, "routes": rows}).encode()
        await respond(send, status, b"" if scope["method"] == "HEAD" else body, ctype)

    async def _ready(self, mount: Mount) -> tuple[int, bytes]:
        if self.lifecycle.draining:
            return 503, b'{"status":"draining"}'
        failed = []
        for check in mount.ready_checks:
            try:
                ok = check()
                if inspect.isawaitable(ok):
                    ok = await ok
            except Exception:
                log.exception("readiness check %s failed", getattr(check, "__name__", check))
                ok = False
            if not ok:
                failed.append(getattr(check, "__name__", repr(check)))
        if failed:
            return 503, json.dumps({"status": "not ready", "failed": failed}).encode()
        return 200, b'{"status":"ready"}'

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Plugins need no startup; native apps' lifespan hooks are not forwarded (see docs).
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                accesslog.LOG.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return
