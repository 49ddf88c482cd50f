"""Plugin -> Flask app, and route-template labels for native Flask apps."""

from __future__ import annotations

from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from flotilla.runtime import dispatch, errors
from flotilla.runtime.adapters.wsgi import chunked_body, read_headers, read_query, set_route
from flotilla.runtime.messages import Request
from flotilla.runtime.plugin import SERVED_METHODS, Plugin, RouteSpec, to_flask_rule


def read_body(request: flask.Request) -> bytes:
    chunked = chunked_body(request.environ)
    return request.get_data(cache=False) if chunked is None else chunked


def build_response(rendered: dispatch.Rendered) -> flask.Response:
    response = flask.Response(rendered.body, status=rendered.status, headers=rendered.headers)
    if not any(k == "content-type" for k, _ in rendered.headers):
        del response.headers["Content-Type"]  # Flask's default is text/html
    return response


def _view(spec: RouteSpec, limit: int | None) -> Any:
    def view(**params: str) -> flask.Response:
        req = flask.request._get_current_object()  # type: ignore[attr-defined]
        environ = req.environ
        set_route(environ, spec.path)
        method = environ["REQUEST_METHOD"]  # as sent: werkzeug upper-cases req.method
        found = spec.handler_for(method)
        if found is None:
            return build_response(dispatch.method_not_allowed(spec))
        if limit is not None and errors.over_limit(environ.get("CONTENT_LENGTH"), limit):
            return build_response(dispatch.too_large(limit))
        request = Request(
            method=method,
            path=req.script_root + req.path,
            path_params=params,
            query=read_query(environ),
            headers=lambda: read_headers(environ),
            body=lambda: errors.capped(read_body(req), limit),
        )
        return build_response(dispatch.call_sync(found[0], found[1], request))

    return view


def _http_error(exc: HTTPException) -> flask.Response:
    code = exc.code or 500
    if code == 404:
        return build_response(dispatch.not_found())
    allow = {"allow": ", ".join(sorted(exc.valid_methods))} if code == 405 else None  # type: ignore[attr-defined]
    return build_response(dispatch.error(code, exc.name.lower(), allow))


def flask_app(plugin: Plugin, max_body_bytes: int | None = None) -> flask.Flask:
    """A Flask app serving `plugin`; every method (OPTIONS, TRACE, lowercase ones) reaches our
    own 405."""
    app = flask.Flask(plugin.name)
    for spec in plugin.routes.values():
        app.add_url_rule(
            to_flask_rule(spec.path),
            endpoint=spec.path,
            view_func=_view(spec, max_body_bytes),
            methods=list(SERVED_METHODS),
            provide_automatic_options=False,
        )
        # werkzeug checks rule.methods when matching: None lets any method through to the view.
        app.url_map._rules[-1].methods = None
    app.register_error_handler(HTTPException, _http_error)
    return app


def label_routes(app: flask.Flask) -> None:
    """Native apps: record the matched url_rule (a template) once Flask has routed."""

    def started(sender: flask.Flask, **extra: Any) -> None:
        rule = flask.request.url_rule
        set_route(flask.request.environ, None if rule is None else rule.rule)

    flask.request_started.connect(started, app, weak=False)
