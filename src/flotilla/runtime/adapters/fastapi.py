"""Plugin -> FastAPI app. One Starlette route per path template; methods are dispatched by us.

The app is a real FastAPI app: each plugin route is a Starlette route in its router, and
FastAPI's exception handlers answer whatever no route matches. But a request a plugin route
matches is answered before FastAPI's middleware stack and router (seven layers, each
wrapping `send`: most of the adapter's cost in bench/results/runtime_profile.md). The same
compiled Starlette regexes pick the route in the same order, and the same bytes go out. Every
other request (404s), and every request once middleware is added to the app, goes through
FastAPI as before.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.convertors import Convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from flotilla.runtime import dispatch, errors
from flotilla.runtime.asgi import Message, Receive, Scope, Send, declared_length
from flotilla.runtime.messages import Headers, Request
from flotilla.runtime.plugin import Handler, Plugin, RouteSpec
from flotilla.runtime.threads import run_sync

Answer = tuple[Message, Message]  # http.response.start, http.response.body
HOP, ASYNC, INLINE = 0, 1, 2  # how a method's handler is called: thread pool, await, direct


def read_headers(scope: Scope) -> Headers:
    return Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])


async def read_body(receive: Receive) -> bytes:
    """The whole body, as Starlette's `Request.body()` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def encode(rendered: dispatch.Rendered) -> Answer:
    """What `starlette.responses.Response(body, status)` plus our headers would send."""
    status, body = rendered.status, rendered.body
    raw = [] if status < 200 or status in (204, 304) else [(b"content-length", b"%d" % len(body))]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers]
    return (
        {"type": "http.response.start", "status": status, "headers": raw},
        {"type": "http.response.body", "body": body},
    )


def build_response(rendered: dispatch.Rendered) -> StarletteResponse:
    response = StarletteResponse(rendered.body, status_code=rendered.status)
    response.raw_headers.extend(
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers
    )
    return response


class PluginRoute:
    """One plugin route as a raw ASGI app; how each method is called is decided here, once.

    Called by Starlette's router (scope `path_params` set) or straight by `PluginFastAPI`."""

    def __init__(self, spec: RouteSpec, limit: int | None) -> None:
        self.path = spec.path
        self.limit = limit
        self.calls: dict[str, tuple[Handler, int]] = {}
        for method, handler in spec.handlers.items():
            mode = ASYNC if spec.is_async[method] else INLINE if spec.inline[method] else HOP
            self.calls[method] = (handler, mode)
        if "GET" in self.calls:
            self.calls["HEAD"] = self.calls["GET"]
        self.not_allowed = dispatch.method_not_allowed(spec)

    async def answer(self, scope: Scope, receive: Receive) -> Answer:
        """The response's two messages (nothing is sent: errors here are the caller's)."""
        scope[dispatch.ROUTE_KEY] = self.path
        method: str = scope["method"]
        found = self.calls.get(method)
        if found is None:
            return encode(self.not_allowed)
        limit = self.limit
        if limit is None:
            body = await read_body(receive)
        else:
            declared = declared_length(scope)
            if errors.over_limit(declared, limit):
                return encode(dispatch.too_large(limit))
            body = await read_body(receive)
            if declared is None and len(body) > limit:
                return encode(dispatch.too_large(limit))
        request = Request(
            method=method,
            path=scope["path"],
            path_params=dict(scope.get("path_params", {})),
            query=scope["query_string"].decode("latin-1"),
            headers=lambda: read_headers(scope),
            body=body,
        )
        handler, mode = found
        if mode == INLINE:
            return encode(dispatch.call_inline(handler, request, self.path))
        return encode(await dispatch.call_async(handler, mode == ASYNC, request, run_sync))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self.answer(scope, receive)
        await send(start)
        await send(body)


Direct = tuple[re.Pattern[str], dict[str, Convertor[Any]], PluginRoute]


class PluginFastAPI(FastAPI):
    """FastAPI, with the plugin's routes matched and answered first (see the module doc)."""

    direct: list[Direct]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.user_middleware:
            path = get_route_path(scope)
            for regex, convertors, route in self.direct:
                match = regex.match(path)
                if match is not None:
                    params = {k: convertors[k].convert(v) for k, v in match.groupdict().items()}
                    scope["path_params"] = params
                    await self._serve(route, scope, receive, send)
                    return
        await super().__call__(scope, receive, send)

    @staticmethod
    async def _serve(route: PluginRoute, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            start, body = await route.answer(scope, receive)
        except Exception:
            # What FastAPI's ServerErrorMiddleware answers before re-raising (to the runtime).
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await send(start)
        await send(body)


async def _http_error(request: StarletteRequest, exc: Exception) -> StarletteResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return build_response(dispatch.not_found())
    return build_response(dispatch.error(exc.status_code, str(exc.detail).lower(), exc.headers))


def fastapi_app(plugin: Plugin, max_body_bytes: int | None = None) -> FastAPI:
    """A FastAPI app serving `plugin` (FastAPI's docs/openapi are off: the plugin's own
    document is framework-neutral). Routes take every method, so unknown and lowercase
    methods get the shared 405 too."""
    app = PluginFastAPI(
        title=plugin.name, docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False
    )
    app.direct = []
    for spec in plugin.routes.values():
        endpoint = PluginRoute(spec, max_body_bytes)
        # An ASGI endpoint: Starlette calls it as it is, for any method (route.methods None).
        route = Route(spec.path, endpoint, include_in_schema=False)
        app.router.routes.append(route)
        app.direct.append((route.path_regex, route.param_convertors, endpoint))
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app
