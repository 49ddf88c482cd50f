"""The catalog service (native Django) as a real `flotilla serve` process, like its container."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flotilla.process import free_port
from flotilla.runtime.testing import serve_process

SERVICE = Path(__file__).resolve().parents[1]


INTERNAL = free_port()  # /metrics and /stats answer only on the internal port


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with (
        serve_process(SERVICE, internal_port=INTERNAL) as (base, _),
        httpx.Client(base_url=base, timeout=10) as c,
    ):
        yield c


def test_list_and_filter(client: httpx.Client) -> None:
    assert client.get("/catalog/products").json()["count"] == 3
    water = client.get("/catalog/products", params=[("tag", "boat"), ("tag", "camp")]).json()
    assert sorted(p["slug"] for p in water["products"]) == ["kayak", "tent"]


def test_index_names_the_products(client: httpx.Client) -> None:
    index = client.get("/catalog/")
    assert index.status_code == 200
    assert index.json()["products"].endswith("/catalog/products")


def test_detail_and_404(client: httpx.Client) -> None:
    assert client.get("/catalog/products/kayak").json()["price_cents"] == 49900
    missing = client.get("/catalog/products/canoe")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "message": "not found"}}
    assert client.post("/catalog/products").status_code == 405


def test_runtime_endpoints_on_a_native_app(client: httpx.Client) -> None:
    assert client.get("/catalog/healthz").status_code == 200
    assert client.get("/catalog/readyz").json() == {"status": "ready"}
    client.get("/catalog/products/tent")
    assert client.get("/catalog/metrics").status_code == 404  # the public port hides them
    internal = httpx.Client(base_url=f"http://127.0.0.1:{INTERNAL}", timeout=10)
    metrics = internal.get("/catalog/metrics").text
    # Django's route template, not the concrete path, labels the metrics.
    assert 'route="/catalog/products/<slug:slug>"' in metrics
    assert "products/tent" not in metrics
    routes = {r["route"] for r in internal.get("/catalog/stats").json()["routes"]}
    assert "/catalog/products/<slug:slug>" in routes
