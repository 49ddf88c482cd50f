"""The plugin API: `Plugin` collects routes; an adapter serves them with FastAPI, Flask or Django.

    plugin = Plugin("orders")

    @plugin.get("/items/{item_id}")
    def get_item(request: Request) -> dict: ...

Routes are relative to the manifest's `path`. A path parameter is `{name}` (one segment) or
`{name:path}` (the rest of the path, slashes included).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flotilla.runtime.binding import Binding
from flotilla.runtime.messages import Headers, HTTPError, QueryParams, Request, Response
from flotilla.runtime.params import Header, Query

__all__ = [
    "HTTPError",
    "Header",
    "Headers",
    "Plugin",
    "Query",
    "QueryParams",
    "Request",
    "Response",
    "RouteSpec",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What adapters hand to the plugin's dispatch: it answers HEAD (as GET) and 405 for the rest.
SERVED_METHODS = (*METHODS, "HEAD", "OPTIONS")
Handler = Callable[[Request], Any]
ReadyCheck = Callable[[], bool | Awaitable[bool]]
F = TypeVar("F", bound=Callable[..., Any])

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(path))?\}")
_SEGMENT = re.compile(r"[^{}/]+|\{[A-Za-z_][A-Za-z0-9_]*(?::path)?\}")


@dataclass
class RouteSpec:
    """One path template and its handler per method."""

    path: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    is_async: dict[str, bool] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    # Sync handlers declared `blocking=False`: called on the event loop, no thread hop.
    inline: dict[str, bool] = field(default_factory=dict)

    def allow(self) -> str:
        """The `Allow` header: the route's methods, plus HEAD wherever GET is."""
        methods = set(self.handlers)
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods))

    def handler_for(self, method: str) -> tuple[Handler, bool] | None:
        key = "GET" if method == "HEAD" else method
        handler = self.handlers.get(key)
        return None if handler is None else (handler, self.is_async[key])


def path_names(path: str) -> list[str]:
    """The parameter names in a path template, in order."""
    return [m.group(1) for m in _PARAM.finditer(path)]


def check_path(path: str) -> str:
    """A route path: absolute, no trailing slash (except "/"), well-formed parameters."""
    if not path.startswith("/") or (path != "/" and path.endswith("/")) or "//" in path:
        raise ValueError(f"route path {path!r} must start with '/' and not end with '/'")
    segments = [] if path == "/" else path[1:].split("/")
    names: list[str] = []
    for i, seg in enumerate(segments):
        if not _SEGMENT.fullmatch(seg):
            raise ValueError(
                f"route path {path!r}: segment {seg!r} must be literal or one "
                "{name} / {name:path} parameter"
            )
        m = _PARAM.fullmatch(seg)
        if m:
            if m.group(2) == "path" and i != len(segments) - 1:
                raise ValueError(f"route path {path!r}: {{{m.group(1)}:path}} must come last")
            if m.group(1) in names:
                raise ValueError(f"route path {path!r}: parameter {m.group(1)!r} repeats")
            names.append(m.group(1))
    return path


class Plugin:
    """A named set of routes and readiness checks, independent of any web framework."""

    def __init__(self, name: str, *, title: str | None = None) -> None:
        self.name = name
        self.title = title or name
        self.routes: dict[str, RouteSpec] = {}
        self.ready_checks: list[ReadyCheck] = []

    def route(
        self,
        methods: str | Iterable[str],
        path: str,
        *,
        status: int = 200,
        blocking: bool = True,
    ) -> Callable[[F], F]:
        """Register `func` for `methods` on `path`; its binding is built here, once.

        `blocking=False` declares that a sync `def` handler never waits (no I/O, no sleep, no
        lock, no long computation), so ASGI adapters call it on the event loop instead of in
        the thread pool; a handler that does wait would then stall every request of the
        worker. Async handlers always run on the loop; the flag changes nothing for them."""
        wanted = [methods] if isinstance(methods, str) else list(methods)
        upper = [m.upper() for m in wanted]
        for m in upper:
            if m not in METHODS:
                raise ValueError(f"method {m!r} not supported; allowed: {', '.join(METHODS)}")
        check_path(path)

        def register(func: F) -> F:
            spec = self.routes.setdefault(path, RouteSpec(path))
            binding = Binding.build(func, path, path_names(path), status)
            handler = binding.handler()
            for m in upper:
                if m in spec.handlers:
                    raise ValueError(f"{self.name}: {m} {path} is registered twice")
                spec.handlers[m] = handler
                spec.is_async[m] = inspect.iscoroutinefunction(handler)
                spec.bindings[m] = binding
                spec.inline[m] = not blocking and not spec.is_async[m]
            return func

        return register

    def get(self, path: str, *, status: int = 200, blocking: bool = True) -> Callable[[F], F]:
        return self.route("GET", path, status=status, blocking=blocking)

    def post(self, path: str, *, status: int = 200, blocking: bool = True) -> Callable[[F], F]:
        return self.route("POST", path, status=status, blocking=blocking)

    def put(self, path: str, *, status: int = 200, blocking: bool = True) -> Callable[[F], F]:
        return self.route("PUT", path, status=status, blocking=blocking)

    def patch(self, path: str, *, status: int = 200, blocking: bool = True) -> Callable[[F], F]:
        return self.route("PATCH", path, status=status, blocking=blocking)

    def delete(self, path: str, *, status: int = 200, blocking: bool = True) -> Callable[[F], F]:
        return self.route("DELETE", path, status=status, blocking=blocking)

    def ready_check(self, func: F) -> F:
        """Register a readiness check (sync or async, returns truthy when ready)."""
        self.ready_checks.append(func)
        return func

    def __repr__(self) -> str:
        return f"<Plugin {self.name} routes={list(self.routes)}>"


def to_flask_rule(path: str) -> str:
    return _PARAM.sub(lambda m: f"<path:{m[1]}>" if m[2] else f"<{m[1]}>", path)


def to_django_route(path: str) -> str:
    route = _PARAM.sub(lambda m: f"<path:{m[1]}>" if m[2] else f"<str:{m[1]}>", path)
    return route[1:]
