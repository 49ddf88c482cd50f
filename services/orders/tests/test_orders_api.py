"""The orders service over real HTTP, as its container serves it (FastAPI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flotilla.runtime.testing import serve_in_thread

SERVICE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with serve_in_thread(SERVICE) as base, httpx.Client(base_url=base, timeout=10) as c:
        yield c


def create(client: httpx.Client, customer: str, skus: list[str], status: str = "new") -> str:
    items = [{"sku": s, "qty": 1} for s in skus]
    resp = client.post("/orders", json={"customer": customer, "items": items, "status": status})
    assert resp.status_code == 201, resp.text
    assert resp.headers["location"].endswith("/" + resp.json()["id"])
    return str(resp.json()["id"])


def test_crud(client: httpx.Client) -> None:
    order_id = create(client, "crud", ["kayak"])
    assert client.get(f"/orders/{order_id}").json()["customer"] == "crud"
    resp = client.patch(f"/orders/{order_id}", json={"status": "paid"})
    assert resp.status_code == 200 and resp.json()["status"] == "paid"
    assert client.delete(f"/orders/{order_id}").status_code == 204
    gone = client.get(f"/orders/{order_id}")
    assert gone.status_code == 404
    assert gone.json() == {"error": {"status": 404, "message": f"order {order_id} not found"}}


def test_filters_with_repeated_params(client: httpx.Client) -> None:
    a = create(client, "filt", ["tent"], "new")
    b = create(client, "filt", ["paddle"], "paid")
    create(client, "filt", ["tent"], "shipped")
    resp = client.get(
        "/orders", params=[("customer", "filt"), ("status", "new"), ("status", "paid")]
    )
    assert sorted(o["id"] for o in resp.json()["orders"]) == sorted([a, b])
    by_sku = client.get("/orders", params=[("customer", "filt"), ("sku", "paddle")])
    assert [o["id"] for o in by_sku.json()["orders"]] == [b]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"items": [{"sku": "x"}]}, ["body", "customer"], "missing"),
        ({"customer": " ", "items": [{"sku": "x"}]}, ["body", "customer"],
         "string_pattern_mismatch"),
        ({"customer": "c", "items": []}, ["body", "items"], "too_short"),
        ({"customer": "c", "items": [{"sku": "x", "qty": 0}]}, ["body", "items", 0, "qty"],
         "greater_than_equal"),
        ({"customer": "c", "items": [{"sku": "x"}], "status": "lost"}, ["body", "status"], "enum"),
    ],
)  # fmt: skip
def test_validation_errors_are_422(
    client: httpx.Client, body: dict[str, object], loc: list[object], kind: str
) -> None:
    resp = client.post("/orders", json=body)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["message"] == "validation failed"
    assert [(f["loc"], f["type"]) for f in error["fields"]] == [(loc, kind)]


def test_patch_changes_only_given_fields_and_refuses_unknown_ones(client: httpx.Client) -> None:
    order_id = create(client, "patch", ["tent", "stove"])
    resp = client.patch(f"/orders/{order_id}", json={"status": "shipped"})
    assert resp.json()["status"] == "shipped" and len(resp.json()["items"]) == 2
    bad = client.patch(f"/orders/{order_id}", json={"colour": "red"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["loc"] == ["body", "colour"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    resp = client.post("/orders", content=b"{", headers={"content-type": "application/json"})
    assert resp.status_code == 400


def test_bad_filter_is_422_and_wrong_method_405(client: httpx.Client) -> None:
    assert client.get("/orders", params={"status": "lost"}).status_code == 422
    resp = client.put("/orders/1")
    assert resp.status_code == 405 and resp.headers["allow"] == "DELETE, GET, HEAD, PATCH"
