"""Plugin -> Django urlconf, and a WSGI handler that labels metrics with the matched route."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.handlers.wsgi import WSGIHandler  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped]
from django.urls import URLPattern, path, re_path  # type: ignore[import-untyped]

from flotilla.runtime import dispatch, errors
from flotilla.runtime.adapters.wsgi import chunked_body, read_headers, read_query, set_route
from flotilla.runtime.messages import Request
from flotilla.runtime.plugin import Plugin, RouteSpec, to_django_route

urlpatterns: list[URLPattern] = []  # ROOT_URLCONF for plugin-only processes (never used)


def read_body(request: HttpRequest) -> bytes:
    # read(), not .body: .body enforces DATA_UPLOAD_MAX_MEMORY_SIZE, the others have no limit.
    chunked = chunked_body(request.META)
    body: bytes = request.read() if chunked is None else chunked
    return body


def build_response(rendered: dispatch.Rendered) -> HttpResponse:
    response = HttpResponse(rendered.body, status=rendered.status)
    del response["Content-Type"]  # Django defaults to text/html
    for key, value in rendered.headers:
        response[key] = value
    if rendered.status not in dispatch.NO_BODY:
        response["Content-Length"] = str(len(rendered.body))
    return response


def _view(spec: RouteSpec, limit: int | None) -> Any:
    def view(request: HttpRequest, **params: str) -> HttpResponse:
        set_route(request.META, spec.path)
        method = request.META["REQUEST_METHOD"]  # as sent: Django upper-cases request.method
        found = spec.handler_for(method)
        if found is None:
            return build_response(dispatch.method_not_allowed(spec))
        if limit is not None and errors.over_limit(request.META.get("CONTENT_LENGTH"), limit):
            return build_response(dispatch.too_large(limit))
        req = Request(
            method=method,
            path=request.path,
            path_params=params,
            query=read_query(request.META),
            headers=lambda: read_headers(request.META),
            body=lambda: errors.capped(read_body(request), limit),
        )
        return build_response(dispatch.call_sync(found[0], found[1], req))

    return view


def _not_found(request: HttpRequest) -> HttpResponse:
    set_route(request.META, None)
    return build_response(dispatch.not_found())


class PluginUrlconf:
    """A urlconf object (Django accepts any object with `urlpatterns`)."""

    def __init__(self, plugin: Plugin, max_body_bytes: int | None = None) -> None:
        self.urlpatterns: list[Any] = [
            path(to_django_route(spec.path), _view(spec, max_body_bytes))
            for spec in plugin.routes.values()
        ]
        self.urlpatterns.append(re_path(r"", _not_found))


class FlotillaHandler(WSGIHandler):  # type: ignore[misc]
    """Django's WSGI handler with an optional per-handler urlconf; labels the matched route."""

    def __init__(self, urlconf: Any = None) -> None:
        super().__init__()
        self.urlconf = urlconf

    def get_response(self, request: HttpRequest) -> HttpResponse:
        if self.urlconf is not None:
            request.urlconf = self.urlconf
        response: HttpResponse = super().get_response(request)
        scope = request.META.get("asgi.scope")
        if scope is not None and dispatch.ROUTE_KEY not in scope:
            match = getattr(request, "resolver_match", None)
            if match is not None and match.route is not None:
                scope[dispatch.ROUTE_KEY] = "/" + match.route
        return response


def configure_standalone() -> None:
    """Minimal settings for a plugin served by Django: no database, nothing written to disk."""
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY=secrets.token_urlsafe(32),  # nothing signed outlives the process
            ALLOWED_HOSTS=["*"],  # the ALB health check uses the task IP as Host
            ROOT_URLCONF=__name__,
            INSTALLED_APPS=[],
            MIDDLEWARE=[],
            DATABASES={},
            USE_I18N=False,
            DATA_UPLOAD_MAX_MEMORY_SIZE=None,
        )
    django.setup(set_prefix=False)


def django_handler(plugin: Plugin, max_body_bytes: int | None = None) -> WSGIHandler:
    configure_standalone()
    return FlotillaHandler(PluginUrlconf(plugin, max_body_bytes))


__all__ = ["FlotillaHandler", "django_handler"]
