"""Orders: CRUD on an in-memory store, written with typed flotilla handlers.

pydantic validates every input (the answer to bad input is the runtime's one 422 shape),
and the same models are the service's OpenAPI contract.
"""

from __future__ import annotations

import itertools
import threading
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from flotilla import HTTPError, Plugin, Query, Request, Response

plugin = Plugin("orders", title="Orders")


class Status(StrEnum):
    new = "new"
    paid = "paid"
    shipped = "shipped"
    cancelled = "cancelled"


class Item(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    qty: int = Field(1, ge=1, le=1000)


class NewOrder(BaseModel):
    # Whitespace spelled out: Python's \s and pydantic's (Rust) \s differ on a few characters.
    customer: str = Field(min_length=1, max_length=200, pattern=r"[^ \t\n\r\f\v]")
    items: list[Item] = Field(min_length=1, max_length=100)
    status: Status = Status.new


class OrderPatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    items: list[Item] | None = Field(None, min_length=1, max_length=100)


class Order(NewOrder):
    id: str


class OrderList(BaseModel):
    orders: list[Order]
    count: int


_lock = threading.Lock()  # sync handlers run in a thread pool
_orders: dict[str, Order] = {}
_ids = itertools.count(1)


def _get(order_id: str) -> Order:
    order = _orders.get(order_id)
    if order is None:
        raise HTTPError(404, f"order {order_id} not found")
    return order


@plugin.get("/")
def list_orders(
    status: list[Status] = Query([]),
    sku: list[str] = Query([]),
    customer: str | None = None,
) -> OrderList:
    """Filters repeat: ?status=new&status=paid&sku=abc (an order matches any listed value)."""
    with _lock:
        orders = list(_orders.values())
    found = [
        o
        for o in orders
        if (not status or o.status in status)
        and (customer is None or o.customer == customer)
        and (not sku or set(sku) & {i.sku for i in o.items})
    ]
    return OrderList(orders=found, count=len(found))


@plugin.post("/", status=201)
async def create_order(order: NewOrder, request: Request) -> Order:
    with _lock:
        made = Order(id=str(next(_ids)), **order.model_dump())
        _orders[made.id] = made
    location = f"{request.path.rstrip('/')}/{made.id}"
    return Response(made.model_dump(mode="json"), status=201, headers={"Location": location})


@plugin.get("/{order_id}")
def get_order(order_id: str) -> Order:
    return _get(order_id)


@plugin.patch("/{order_id}")
def update_order(order_id: str, patch: OrderPatch) -> Order:
    with _lock:
        order = _get(order_id)
        changes = patch.model_dump(exclude_none=True)
        updated = order.model_copy(update={**changes, "items": patch.items or order.items})
        _orders[order_id] = updated
        return updated


@plugin.delete("/{order_id}")
def delete_order(order_id: str) -> None:
    with _lock:
        _get(order_id)
        del _orders[order_id]
