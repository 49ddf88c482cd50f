"""Plugin -> FastAPI app. One Starlette route per path template; methods are dispatched by us."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.types import ASGIApp

from flotilla.runtime import dispatch, errors
from flotilla.runtime.messages import Headers, Request
from flotilla.runtime.plugin import Handler, Plugin, RouteSpec
from flotilla.runtime.threads import run_sync

# Every method reaches our endpoint, so 405 + Allow come from the shared dispatch code.


def read_query(request: StarletteRequest) -> str:
    """The raw query string, decoded as WSGI does (latin-1); parsed on first use."""
    query: bytes = request.scope["query_string"]
    return query.decode("latin-1")


def read_headers(request: StarletteRequest) -> Headers:
    return Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"])


async def read_body(request: StarletteRequest) -> bytes:
    return await request.body()


def build_response(rendered: dispatch.Rendered) -> StarletteResponse:
    response = StarletteResponse(rendered.body, status_code=rendered.status)
    response.raw_headers.extend(
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers
    )
    return response


async def _run_sync(handler: Handler, request: Request) -> Any:
    return await run_sync(handler, request)


def _endpoint(spec: RouteSpec, limit: int | None) -> Any:
    async def endpoint(request: StarletteRequest) -> StarletteResponse:
        request.scope[dispatch.ROUTE_KEY] = spec.path
        found = spec.handler_for(request.method)
        if found is None:
            return build_response(dispatch.method_not_allowed(spec))
        handler, is_async = found
        if limit is not None:
            declared = request.headers.get("content-length")
            if errors.over_limit(declared, limit) or (
                declared is None and len(await read_body(request)) > limit
            ):
                return build_response(dispatch.too_large(limit))
        req = Request(
            method=request.method,
            path=request.scope["path"],
            path_params=dict(request.path_params),
            query=read_query(request),
            headers=lambda: read_headers(request),
            body=await read_body(request),
        )
        return build_response(await dispatch.call_async(handler, is_async, req, _run_sync))

    return endpoint


async def _http_error(request: StarletteRequest, exc: Exception) -> StarletteResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return build_response(dispatch.not_found())
    return build_response(dispatch.error(exc.status_code, str(exc.detail).lower(), exc.headers))


def fastapi_app(plugin: Plugin, max_body_bytes: int | None = None) -> ASGIApp:
    """A FastAPI app serving `plugin` (FastAPI's docs/openapi are off: the plugin's own
    document is framework-neutral). Routes take every method, so unknown and lowercase
    methods get the shared 405 too."""
    app = FastAPI(
        title=plugin.name, docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False
    )
    for spec in plugin.routes.values():
        app.router.add_route(spec.path, _endpoint(spec, max_body_bytes), include_in_schema=False)
        app.router.routes[-1].methods = None  # type: ignore[attr-defined]  # match any method
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app
