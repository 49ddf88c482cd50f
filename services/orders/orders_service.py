"""Orders: CRUD on an in-memory store, written with the flotilla plugin API."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from flotilla import HTTPError, Plugin, Request, Response

plugin = Plugin("orders")

STATUSES = ("new", "paid", "shipped", "cancelled")
_lock = threading.Lock()  # sync handlers run in a thread pool
_orders: dict[str, dict[str, Any]] = {}
_ids = itertools.count(1)


def _validate_items(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not items:
        raise HTTPError(422, "items must be a non-empty list")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"]:
            raise HTTPError(422, f"items[{i}].sku must be a non-empty string")
        qty = item.get("qty", 1)
        if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 1000:
            raise HTTPError(422, f"items[{i}].qty must be an integer 1..1000")
        out.append({"sku": item["sku"], "qty": qty})
    return out


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise HTTPError(422, f"status must be one of {', '.join(STATUSES)}")
    return str(value)


def _get(order_id: str) -> dict[str, Any]:
    order = _orders.get(order_id)
    if order is None:
        raise HTTPError(404, f"order {order_id} not found")
    return order


@plugin.get("/")
def list_orders(request: Request) -> dict[str, Any]:
    """Filters repeat: ?status=new&status=paid&sku=abc (an order matches any listed value)."""
    statuses = request.query.getlist("status")
    for s in statuses:
        _status(s)
    skus = set(request.query.getlist("sku"))
    customer = request.query.get("customer")
    with _lock:
        orders = list(_orders.values())
    found = [
        o
        for o in orders
        if (not statuses or o["status"] in statuses)
        and (customer is None or o["customer"] == customer)
        and (not skus or skus & {i["sku"] for i in o["items"]})
    ]
    return {"orders": found, "count": len(found)}


@plugin.post("/")
async def create_order(request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict):
        raise HTTPError(422, "body must be a JSON object")
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip():
        raise HTTPError(422, "customer must be a non-empty string")
    order = {
        "customer": customer,
        "items": _validate_items(data.get("items")),
        "status": _status(data.get("status", "new")),
    }
    with _lock:
        order["id"] = str(next(_ids))
        _orders[order["id"]] = order
    return Response(order, status=201, headers={"Location": f"{request.path}{order['id']}"})


@plugin.get("/{order_id}")
def get_order(request: Request) -> dict[str, Any]:
    return _get(request.path_params["order_id"])


@plugin.patch("/{order_id}")
def update_order(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict) or not data:
        raise HTTPError(422, "body must be a JSON object with status and/or items")
    unknown = set(data) - {"status", "items"}
    if unknown:
        raise HTTPError(422, f"unknown fields: {', '.join(sorted(unknown))}")
    with _lock:
        order = _get(request.path_params["order_id"])
        if "status" in data:
            order["status"] = _status(data["status"])
        if "items" in data:
            order["items"] = _validate_items(data["items"])
        return dict(order)


@plugin.delete("/{order_id}")
def delete_order(request: Request) -> None:
    with _lock:
        _get(request.path_params["order_id"])
        del _orders[request.path_params["order_id"]]
