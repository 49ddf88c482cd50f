"""The runtime layer around any app, over real HTTP: request ids, access log, route labels
for native apps, readiness, and what is outside every service."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi import FastAPI
from flask import Flask

from flotilla import Plugin
from flotilla.runtime.adapters.flask import label_routes
from flotilla.runtime.app import Mount, RuntimeApp
from flotilla.runtime.lifecycle import Lifecycle
from flotilla.runtime.loader import plugin_app
from flotilla.runtime.testing import Bases, serve_in_thread, serve_pair


def tiny_plugin() -> Plugin:
    plugin = Plugin("tiny")
    plugin.get("/items/{item_id}")(lambda r: {"id": r.path_params["item_id"]})
    plugin.get("/rid")(lambda r: {"seen": r.headers.get("x-request-id")})
    return plugin


def runtime(
    app: object, lifecycle: Lifecycle | None = None, checks: list | None = None
) -> RuntimeApp:  # type: ignore[type-arg]
    mount = Mount("tiny", "/tiny", app, "/tiny/ping", checks or [])  # type: ignore[arg-type]
    return RuntimeApp([mount], lifecycle=lifecycle or Lifecycle())


def test_request_id_passthrough_trace_id_and_generated(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(runtime(plugin_app(tiny_plugin(), "fastapi"))) as base:
        given = httpx.get(f"{base}/tiny/rid", headers={"X-Request-Id": "abc-1"})
        assert given.headers["x-request-id"] == "abc-1" and given.json() == {"seen": "abc-1"}
        trace = "Root=1-67891233-abcdef012345678912345678"
        amzn = httpx.get(f"{base}/tiny/rid", headers={"X-Amzn-Trace-Id": trace})
        assert amzn.headers["x-request-id"] == trace
        new1, new2 = httpx.get(f"{base}/tiny/rid"), httpx.get(f"{base}/tiny/rid")
        assert re.fullmatch(r"[0-9a-f]{32}", new1.headers["x-request-id"])
        assert new1.headers["x-request-id"] != new2.headers["x-request-id"]
        assert new1.json()["seen"] == new1.headers["x-request-id"]  # the app saw the same id
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [x["request_id"] for x in lines] == ["abc-1", trace, *(
        r.headers["x-request-id"] for r in (new1, new2))]  # fmt: skip
    assert {x["route"] for x in lines} == {"/tiny/rid"}
    assert all(x["status"] == 200 and x["method"] == "GET" for x in lines)


def labels(internal: str) -> set[str]:
    text = httpx.get(f"{internal}/tiny/metrics").text
    return set(re.findall(r'flotilla_http_requests_total\{[^}]*route="([^"]*)"', text))


def native_fastapi() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return app


def native_flask() -> object:
    from a2wsgi import WSGIMiddleware

    app = Flask("native")

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    label_routes(app)
    return WSGIMiddleware(app)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "template"),
    [
        (native_fastapi, "/tiny/items/{item_id}"),
        (native_flask, "/tiny/items/<int:item_id>"),
        (lambda: plugin_app(tiny_plugin(), "django"), "/tiny/items/{item_id}"),
    ],
    ids=["fastapi-native", "flask-native", "django-plugin"],
)
def test_metrics_use_route_templates(make: object, template: str) -> None:
    with serve_pair(runtime(make())) as (base, internal):  # type: ignore[operator]
        for i in range(3):
            assert str(httpx.get(f"{base}/tiny/items/{i}").json()["id"]) == str(i)
        assert httpx.get(f"{base}/tiny/nowhere/{i}").status_code == 404
        assert labels(internal) == {template, "<unmatched>"}
        stats = httpx.get(f"{internal}/tiny/stats").json()
        counts = {r["route"]: r["count"] for r in stats["routes"]}
        assert counts == {template: 3, "<unmatched>": 1}


def test_readiness_checks_and_draining() -> None:
    state = {"ok": True}
    lifecycle = Lifecycle()

    async def db() -> bool:
        return state["ok"]

    app = runtime(plugin_app(tiny_plugin(), "fastapi"), lifecycle, [db])
    with serve_in_thread(app) as base:
        assert httpx.get(f"{base}/tiny/readyz").status_code == 200
        state["ok"] = False
        resp = httpx.get(f"{base}/tiny/readyz")
        assert resp.status_code == 503 and resp.json() == {"status": "not ready", "failed": ["db"]}
        state["ok"] = True
        lifecycle.begin_drain(5)
        assert httpx.get(f"{base}/tiny/readyz").json() == {"status": "draining"}
        assert httpx.get(f"{base}/tiny/healthz").status_code == 200
        assert httpx.get(f"{base}/tiny/ping").status_code == 200  # the manifest's `health`


def test_runtime_endpoints_are_get_only_and_outside_is_404() -> None:
    with serve_pair(runtime(plugin_app(tiny_plugin(), "flask"))) as (base, internal):
        post = httpx.post(f"{base}/tiny/healthz")
        assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
        outside = httpx.get(f"{base}/other/thing")
        assert outside.status_code == 404
        assert outside.json() == {"error": {"status": 404, "message": "not found"}}
        assert httpx.get(f"{base}/tinyx").status_code == 404  # a prefix match is per segment
        assert labels(internal) == set()  # runtime endpoints are not counted


# Spellings an attacker would try for the hidden endpoints on the public port.
HIDDEN_SPELLINGS = [
    "/tiny/metrics",
    "/tiny/stats",
    "/tiny/%6detrics",
    "/tiny/%6D%65trics",
    "/tiny//metrics",
    "//tiny/metrics",
    "/tiny/METRICS",
    "/tiny/Stats",
    "/tiny/metrics/",
    "/tiny/./metrics",
    "/tiny/x/../metrics",
    "/tiny/metrics;x=1",
    "/tiny/stats%2F",
    "/tiny/metrics/anything",
]


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_hidden_endpoints_only_on_the_internal_port(framework: str) -> None:
    with serve_pair(runtime(plugin_app(tiny_plugin(), framework))) as urls:
        check_hidden(urls)


def check_hidden(urls: Bases) -> None:
    with httpx.Client(base_url=urls.public, timeout=10) as public:
        for spelling in HIDDEN_SPELLINGS:
            got = public.get(spelling)
            assert got.status_code == 404, spelling
            assert "flotilla_http" not in got.text and "routes" not in got.text, spelling
        assert public.get("/tiny/healthz").status_code == 200  # the ALB's checks still pass
    with httpx.Client(base_url=urls.internal, timeout=10) as internal:
        assert "flotilla_http_requests_total" in internal.get("/metrics").text
        assert "flotilla_http_requests_total" in internal.get("/tiny/metrics").text
        assert internal.get("/stats").json()["service"] == "tiny"
        assert internal.get("/tiny/stats").json()["service"] == "tiny"
        assert internal.get("/tiny/items/1").status_code == 404  # the app is not served here


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_openapi_document_lists_no_hidden_endpoint(framework: str) -> None:
    from pathlib import Path

    orders = Path(__file__).resolve().parents[2] / "services" / "orders"
    with serve_pair(orders, framework) as urls:
        doc = httpx.get(f"{urls.public}/orders/openapi.json", timeout=10)
        assert doc.status_code == 200
        paths = set(doc.json()["paths"])
        assert "/orders/healthz" in paths and "/orders/{order_id}" in paths
        assert not {p for p in paths if "metrics" in p or "stats" in p}, paths
        # Nor does the internal port serve the app's documents or routes.
        assert httpx.get(f"{urls.internal}/orders/openapi.json", timeout=10).status_code == 404
