"""A WSGI app as ASGI in one thread hop, for the plugin adapters (Flask, Django).

a2wsgi streams both ways, which costs a round trip between the thread and the event loop per
message (start, each chunk, the end): four per request. A plugin's request body is read
whole anyway and its response is one bytes body, so here the body is read on the loop, the
app runs once in the pool and its response is sent from the loop: one hop. Native Flask and
Django apps may stream, so they keep a2wsgi.

Never more than `max_body_bytes` + 1 bytes are buffered: a declared length over the limit
reads nothing, a chunked body stops one byte past it (the adapter answers 413 either way).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from a2wsgi.wsgi import build_environ

from flotilla.runtime.asgi import Receive, Scope, Send, declared_length
from flotilla.runtime.errors import over_limit
from flotilla.runtime.threads import run_sync

WSGIApp = Any  # (environ, start_response) -> iterable of bytes


@dataclass
class Captured:
    """What the app passed to start_response and returned."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


def _call(app: WSGIApp, environ: dict[str, Any]) -> Captured:
    out = Captured()
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and out.headers:
            raise exc_info[1].with_traceback(exc_info[2])
        out.status = int(status.split(" ", 1)[0])
        out.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return chunks.append

    result: Iterable[bytes] = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    out.body = b"".join(chunks)
    return out


async def read_body(receive: Receive, limit: int | None) -> bytes:
    """The body, or its first `limit` + 1 bytes when it is longer."""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # http.disconnect
            break
        chunk: bytes = message.get("body", b"")
        parts.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False) or (limit is not None and size > limit):
            break
    return b"".join(parts)


class OneHopWSGI:
    """ASGI wrapper of a WSGI app whose responses are complete bytes (the plugin adapters)."""

    def __init__(self, app: WSGIApp, max_body_bytes: int | None = None) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        too_long = over_limit(declared_length(scope), self.limit)
        body = b"" if too_long else await read_body(receive, self.limit)
        environ: dict[str, Any] = dict(build_environ(scope, io.BytesIO(body)))  # type: ignore[arg-type]
        environ["wsgi.errors"] = sys.stderr
        out = await run_sync(_call, self.app, environ)
        await send({"type": "http.response.start", "status": out.status, "headers": out.headers})
        await send({"type": "http.response.body", "body": out.body})
