"""What every adapter shares: calling a handler and turning its result into status/headers/bytes.

The adapters only translate between a framework and these functions, so a plugin answers
byte-for-byte the same under FastAPI, Flask and Django.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from flotilla.runtime import errors, fastjson
from flotilla.runtime.messages import HTTPError, Request, Response

if TYPE_CHECKING:  # plugin imports binding, which renders through this module
    from flotilla.runtime.plugin import Handler, RouteSpec

log = logging.getLogger("flotilla.plugin")

# The ASGI scope key where adapters and labelers leave the matched route template.
ROUTE_KEY = "flotilla.route"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BYTES_TYPE = "application/octet-stream"
NO_BODY = (204, 304)
# A `blocking=False` handler slower than this on the event loop is reported (once per route).
SLOW_INLINE_SECONDS = 0.02
_slow_routes: set[str] = set()


@dataclass
class Rendered:
    """A response reduced to what goes on the wire (the server adds Date/Content-Length)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> Rendered:
    detail: dict[str, Any] = {"status": status, "message": message}
    if fields is not None:
        detail["fields"] = fields
    body = dumps({"error": detail})
    extra = [(k.lower(), v) for k, v in (headers or {}).items()]
    return Rendered(status, body, [("content-type", JSON_TYPE), *extra])


def not_found() -> Rendered:
    return error(404, "not found")


def too_large(limit: int) -> Rendered:
    exc = errors.too_large(limit)
    return error(exc.status, exc.message)


def method_not_allowed(spec: RouteSpec) -> Rendered:
    return error(405, "method not allowed", {"allow": spec.allow()})


def _encode(body: Any, media_type: str | None) -> tuple[bytes, str | None]:
    if body is None:
        return b"", media_type
    if isinstance(body, dict | list):
        return dumps(body), media_type or JSON_TYPE
    if isinstance(body, str):
        if media_type and media_type.startswith("text/") and "charset" not in media_type:
            media_type += "; charset=utf-8"
        return body.encode("utf-8"), media_type or TEXT_TYPE
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), media_type or BYTES_TYPE
    if hasattr(body, "model_dump"):  # a pydantic model from a Request-style handler
        data = fastjson.model_json(body) if isinstance(body, BaseModel) else None
        if data is None:
            data = dumps(body.model_dump(mode="json"))
        return data, media_type or JSON_TYPE
    raise TypeError(f"handler returned unsupported body type {type(body).__name__}")


def render(result: Any) -> Rendered:
    """A handler's return value -> Rendered (see the plugin API for the rules); a typed
    handler's wrapper may hand back a Rendered already (a model's JSON, see binding.shape)."""
    if isinstance(result, Rendered):
        return result
    if isinstance(result, Response):
        body, status, headers, media = result.body, result.status, result.headers, result.media_type
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], int):
        body, status, headers, media = result[0], result[1], {}, None
    elif result is None:
        return Rendered(204)
    else:
        body, status, headers, media = result, 200, {}, None
    data, content_type = _encode(body, media)
    out = [(k.lower(), str(v)) for k, v in headers.items()]
    if status in NO_BODY:
        return Rendered(status, b"", out)
    if content_type and not any(k == "content-type" for k, _ in out):
        out.insert(0, ("content-type", content_type))
    return Rendered(status, data, out)


def _failure(exc: BaseException, request: Request) -> Rendered:
    if isinstance(exc, HTTPError):
        return error(exc.status, exc.message, exc.headers, getattr(exc, "fields", None))
    # The traceback goes to the log, never to the client.
    log.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return error(500, "internal server error")


def call_sync(handler: Handler, is_async: bool, request: Request) -> Rendered:
    """For WSGI adapters: async handlers run on asgiref's per-thread event loop."""
    try:
        if is_async:
            from asgiref.sync import async_to_sync

            result = async_to_sync(handler)(request)
        else:
            result = handler(request)
        return render(result)
    except Exception as exc:
        return _failure(exc, request)


async def call_async(
    handler: Handler,
    is_async: bool,
    request: Request,
    run_sync: Callable[[Handler, Request], Awaitable[Any]],
) -> Rendered:
    """For ASGI adapters: sync handlers run in `run_sync` (a thread pool), like native views."""
    try:
        result = await handler(request) if is_async else await run_sync(handler, request)
        return render(result)
    except Exception as exc:
        return _failure(exc, request)


def call_inline(handler: Handler, request: Request, route: str) -> Rendered:
    """For a sync handler declared `blocking=False`: called right here, on the event loop.
    One that turns out slow is logged once per route, as the declaration is then wrong."""
    start = time.perf_counter()
    try:
        rendered = render(handler(request))
    except Exception as exc:
        rendered = _failure(exc, request)
    took = time.perf_counter() - start
    if took > SLOW_INLINE_SECONDS and route not in _slow_routes:
        _slow_routes.add(route)
        log.warning(
            "%s %s took %.1f ms on the event loop: it is declared blocking=False, so every "
            "other request of this worker waited; drop blocking=False if it waits on I/O",
            request.method,
            route,
            took * 1000,
        )
    return rendered
