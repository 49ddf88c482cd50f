"""The FastAPI adapter answers plugin routes before FastAPI's middleware stack, and sync
handlers declared `blocking=False` run on the event loop: what a client sees must not change.

Every request here goes, in-process, through the runtime to the FastAPI plugin app twice, once
by the direct dispatch and once through FastAPI's own stack (a pass-through middleware turns
the direct dispatch off), and the ASGI messages must be identical.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from flotilla import Plugin, Request, Response
from flotilla.runtime import dispatch
from flotilla.runtime.app import Mount, RuntimeApp
from flotilla.runtime.asgi import Receive, Scope, Send
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.loader import FRAMEWORKS, plugin_app
from flotilla.runtime.metrics import REQUESTS
from flotilla.runtime.testing import serve_in_thread
from tests.conformance.conformance_plugin import MAX_BODY_BYTES
from tests.conformance.conformance_plugin import plugin as conformance

JSON = [(b"content-type", b"application/json")]
# (method, path, query, headers, body chunks)
REQUESTS_SENT: list[tuple[str, str, bytes, list[tuple[bytes, bytes]], list[bytes]]] = [
    ("GET", "/conf/", b"", [], []),
    ("GET", "/conf", b"", [], []),
    ("GET", "/conf/items/abc%20d", b"tag=x&tag=y&blank=", [], []),
    ("GET", "/conf/items/", b"", [], []),
    ("GET", "/conf/items/a/b", b"", [], []),
    ("GET", "/conf/files/a/b/c.txt", b"", [], []),
    ("GET", "/conf/files/", b"", [], []),
    ("GET", "/conf/nowhere", b"", [], []),
    ("GET", "/conf/json/", b"", [], []),
    ("HEAD", "/conf/json", b"", [], []),
    ("HEAD", "/conf/nowhere", b"", [], []),
    ("POST", "/conf/json", b"", [], []),
    ("get", "/conf/json", b"", [], []),
    ("BREW", "/conf/multi", b"", [], []),
    ("OPTIONS", "/conf/multi", b"", [], []),
    ("PUT", "/conf/multi", b"", [], []),
    ("GET", "/conf/none", b"", [], []),
    ("GET", "/conf/tuple", b"", [], []),
    ("GET", "/conf/text", b"", [], []),
    ("GET", "/conf/bytes", b"", [], []),
    ("GET", "/conf/html", b"", [], []),
    ("GET", "/conf/async", b"", [], []),
    ("GET", "/conf/teapot", b"", [], []),
    ("GET", "/conf/boom", b"", [], []),
    ("GET", "/conf/boom-async", b"", [], []),
    ("GET", "/conf/bad-return", b"", [], []),
    ("POST", "/conf/created", b"", [], []),
    ("POST", "/conf/echo", b"a=1", [(b"x-test", b"yes"), (b"cookie", b"a=1; b=2")], [b"ab", b"c"]),
    ("POST", "/conf/echo-async", b"", [(b"content-length", b"3")], [b"xyz"]),
    ("POST", "/conf/echo", b"", [(b"content-length", b"%d" % (MAX_BODY_BYTES + 1))], []),
    ("POST", "/conf/echo", b"", [], [b"x" * MAX_BODY_BYTES, b"y"]),
    ("POST", "/conf/json-in", b"", JSON, [b'{"a": 1}']),
    ("POST", "/conf/json-in", b"", JSON, [b"{nope"]),
    ("GET", "/conf/typed/12", b"flag=true&color=green&tags=a&tags=b", [(b"x-key", b"k")], []),
    ("GET", "/conf/typed/abc", b"limit=-1", [], []),
    ("GET", "/conf/typed-required", b"", [], []),
    ("POST", "/conf/baskets", b"", JSON, [b'{"owner": "x"}']),
    ("POST", "/conf/baskets", b"", [(b"content-type", b"text/plain")], [b"{}"]),
    ("PUT", "/conf/baskets", b"", JSON, [b"[]"]),
    ("POST", "/conf/optional-body", b"", [], []),
    ("GET", "/conf/openapi.json", b"", [], []),
]


class Passthrough:
    """A middleware that changes nothing; with it FastAPI serves every request itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def runtime(plugin: Plugin, framework: str, log: list[tuple[str, str, int]]) -> RuntimeApp:
    def collect(service: str, method: str, route: str, status: int, ms: float, rid: str) -> None:
        log.append((method, route, status))

    mount = Mount(plugin.name, f"/{plugin.name}", plugin_app(plugin, framework, MAX_BODY_BYTES))
    return RuntimeApp([mount], lifecycle=Lifecycle(), access_log=collect)


async def call(
    app: Any,
    method: str,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> list[dict[str, Any]]:
    """The messages `app` sent (the request id header dropped: it is random)."""
    parts = list(chunks or [])
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"test"), (b"x-request-id", b"fixed"), *(headers or [])],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not parts:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def both(plugin: Plugin) -> tuple[RuntimeApp, RuntimeApp, list[Any], list[Any]]:
    direct_log: list[Any] = []
    stack_log: list[Any] = []
    direct = runtime(plugin, "fastapi", direct_log)
    stacked = runtime(plugin, "fastapi", stack_log)
    inner = stacked.mounts[0].app
    assert isinstance(inner, FastAPI)
    inner.add_middleware(Passthrough)
    return direct, stacked, direct_log, stack_log


@pytest.mark.parametrize(("method", "path", "query", "headers", "chunks"), REQUESTS_SENT)
def test_direct_dispatch_sends_what_fastapis_stack_sends(
    method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> None:
    direct, stacked, direct_log, stack_log = both(conformance)
    got = asyncio.run(call(direct, method, path, query, headers, chunks))
    want = asyncio.run(call(stacked, method, path, query, headers, chunks))
    assert stacked.mounts[0].app.middleware_stack is not None  # type: ignore[attr-defined]
    assert got == want
    assert got[0]["type"] == "http.response.start" and len(got) == 2
    assert direct_log == stack_log and len(direct_log) == 1


def no_log(*args: object) -> None:
    return None


def test_the_app_stays_a_fastapi_app_and_plugin_routes_skip_its_stack() -> None:
    app = plugin_app(conformance, "fastapi", MAX_BODY_BYTES)
    assert isinstance(app, FastAPI)
    assert [getattr(r, "path", None) for r in app.router.routes] == list(conformance.routes)
    direct = RuntimeApp([Mount("conf", "/conf", app)], lifecycle=Lifecycle(), access_log=no_log)
    asyncio.run(call(direct, "GET", "/conf/json"))
    assert app.middleware_stack is None  # answered without building FastAPI's stack
    asyncio.run(call(direct, "GET", "/conf/nowhere"))
    assert app.middleware_stack is not None  # a 404 is FastAPI's, through its stack


def test_an_error_before_the_answer_is_fastapis_plain_500() -> None:
    plugin = Plugin("odd")

    @plugin.get("/euro")
    def euro(request: Request) -> Response:
        return Response("x", headers={"x-price": "5 €"})  # not latin-1: fails on encoding

    direct, stacked, direct_log, stack_log = both(plugin)
    got = asyncio.run(call(direct, "GET", "/odd/euro"))
    want = asyncio.run(call(stacked, "GET", "/odd/euro"))
    assert got == want
    assert got[0]["status"] == 500 and got[1]["body"] == b"Internal Server Error"
    assert direct_log == stack_log == [("GET", "/odd/euro", 500)]


def on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def threads_plugin() -> Plugin:
    plugin = Plugin("th")

    @plugin.get("/default")
    def default(request: Request) -> dict[str, Any]:
        return {"thread": threading.current_thread().name, "on_loop": on_loop()}

    @plugin.get("/where", blocking=False)
    def where(request: Request) -> dict[str, bool]:
        return {"on_loop": on_loop()}

    @plugin.get("/inline/{name}", blocking=False)
    def inline(request: Request) -> dict[str, str]:
        return {"name": request.path_params["name"]}

    @plugin.post("/inline-typed", blocking=False, status=201)
    def typed(count: int) -> dict[str, int]:
        return {"count": count}

    return plugin


def test_blocking_false_runs_on_the_loop_and_def_stays_in_the_pool() -> None:
    plugin = threads_plugin()
    assert plugin.routes["/inline/{name}"].inline == {"GET": True}
    assert plugin.routes["/default"].inline == {"GET": False}
    log: list[Any] = []
    app = runtime(plugin, "fastapi", log)
    inline = asyncio.run(call(app, "GET", "/th/where"))
    default = asyncio.run(call(app, "GET", "/th/default"))
    assert inline[1]["body"] == b'{"on_loop":true}'
    assert default[1]["body"].startswith(b'{"thread":"flotilla-sync')
    assert default[1]["body"].endswith(b'"on_loop":false}')


def test_async_handlers_ignore_the_flag() -> None:
    plugin = Plugin("a")

    @plugin.get("/x", blocking=False)
    async def x(request: Request) -> dict[str, bool]:
        return {"ok": True}

    assert plugin.routes["/x"].inline == {"GET": False}
    assert plugin.routes["/x"].is_async == {"GET": True}


def test_blocking_false_answers_and_counts_the_same_under_every_framework() -> None:
    """Over real HTTP, per framework: same bytes, and metrics/access log count every request."""
    cases = [
        ("GET", "/th/inline/b", None),
        ("POST", "/th/inline-typed?count=3", None),
        ("POST", "/th/inline-typed?count=x", None),
        ("HEAD", "/th/inline/c", None),
        ("DELETE", "/th/inline/c", None),
    ]
    seen: dict[str, list[tuple[Any, ...]]] = {}
    for framework in FRAMEWORKS:
        log: list[tuple[str, str, int]] = []
        app = runtime(threads_plugin(), framework, log)
        with serve_in_thread(app) as base, httpx.Client(base_url=base) as client:
            answers = []
            for _ in range(3):
                for method, path, _body in cases:
                    r = client.request(method, path)
                    got = r.headers.get("content-type"), r.headers.get("allow")
                    answers.append((r.status_code, r.content, *got))
            seen[framework] = answers
        statuses = {(m, route, status): log.count((m, route, status)) for m, route, status in log}
        assert statuses == {
            ("GET", "/th/inline/{name}", 200): 3,
            ("POST", "/th/inline-typed", 201): 3,
            ("POST", "/th/inline-typed", 422): 3,
            ("HEAD", "/th/inline/{name}", 200): 3,
            ("DELETE", "/th/inline/{name}", 405): 3,
        }, framework
        counted = {
            (s.labels["route"], s.labels["method"], s.labels["status"]): int(s.value)
            for family in app.metrics.collect()
            if family.name == REQUESTS
            for s in family.samples
            if s.name.endswith("_total")
        }
        assert counted == {
            ("/th/inline/{name}", "GET", "200"): 3,
            ("/th/inline-typed", "POST", "201"): 3,
            ("/th/inline-typed", "POST", "422"): 3,
            ("/th/inline/{name}", "HEAD", "200"): 3,
            ("/th/inline/{name}", "DELETE", "405"): 3,
        }, framework
    assert seen["fastapi"] == seen["flask"] == seen["django"]
    assert seen["fastapi"][0][:2] == (200, b'{"name":"b"}')


def test_a_slow_blocking_false_handler_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    plugin = Plugin("slowpoke")

    @plugin.get("/nap", blocking=False)
    def nap(request: Request) -> dict[str, bool]:
        threading.Event().wait(dispatch.SLOW_INLINE_SECONDS * 2)  # what it declared it never does
        return {"ok": True}

    app = runtime(plugin, "fastapi", [])
    with caplog.at_level(logging.WARNING, logger="flotilla.plugin"):
        for _ in range(2):
            assert asyncio.run(call(app, "GET", "/slowpoke/nap"))[0]["status"] == 200
    slow = [r for r in caplog.records if "blocking=False" in r.getMessage()]
    assert len(slow) == 1 and "/nap" in slow[0].getMessage()


@pytest.mark.parametrize(
    "rendered",
    [
        dispatch.Rendered(200, b'{"a":1}', [("content-type", "application/json")]),
        dispatch.Rendered(201, b"", [("location", "/x"), ("x-custom", "1")]),
        dispatch.Rendered(204, b"", [("x-custom", "ü")]),
        dispatch.Rendered(304, b""),
        dispatch.Rendered(418, "☕".encode(), [("content-type", "text/plain; charset=utf-8")]),
        dispatch.Rendered(500, b"x" * 100_000),
    ],
)
def test_direct_answers_are_the_starlette_responses_they_replace(
    rendered: dispatch.Rendered,
) -> None:
    from flotilla.runtime.adapters.fastapi import build_response, encode

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(build_response(rendered)({"type": "http"}, None, send))  # type: ignore[arg-type]
    assert list(encode(rendered)) == sent


def test_the_fastapi_adapter_needs_no_wsgi_packages() -> None:
    """A FastAPI service's image holds neither a2wsgi, Flask nor Django."""
    import subprocess
    import sys

    code = """
import sys
for name in ("a2wsgi", "flask", "django", "werkzeug"):
    sys.modules[name] = None  # importing any of them now fails
from flotilla import Plugin
from flotilla.runtime.loader import plugin_app
plugin = Plugin("x")
plugin.get("/a")(lambda r: {"ok": True})
print(type(plugin_app(plugin, "fastapi", 10)).__name__)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "PluginFastAPI"
