"""The plugin every conformance case runs against, under each framework."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from flotilla import Header, HTTPError, Plugin, Query, Request, Response

plugin = Plugin("conf")
LARGE_TEXT = "ü" * 1_000_000  # 2 MB of UTF-8
MAX_BODY_BYTES = 4 * 1024 * 1024  # the conformance servers' limit (services: the manifest's)


def _echo(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "length": len(request.body),
        "sha256": hashlib.sha256(request.body).hexdigest(),
        "text_head": request.text[:20],
        "content_type": request.headers.get("content-type"),
        "x_test": request.headers.get("X-TEST"),
        "cookies": request.cookies,
        "query": request.query.items(),
    }


@plugin.get("/")
def root(request: Request) -> dict[str, Any]:
    return {"root": True, "path": request.path}


@plugin.get("/json")
def json_(request: Request) -> dict[str, Any]:
    return {"hello": "wörld ✓", "n": 1, "list": [1, 2.5, None, True]}


@plugin.get("/list")
def list_(request: Request) -> list[int]:
    return [1, 2, 3]


@plugin.get("/text")
def text(request: Request) -> str:
    return "héllo ✓"


@plugin.get("/bytes")
def bytes_(request: Request) -> bytes:
    return b"\x00\x01\xff"


@plugin.get("/none")
def none(request: Request) -> None:
    return None


@plugin.post("/created")
def created(request: Request) -> Response:
    return Response({"ok": True}, status=201, headers={"Location": "/conf/x", "X-Custom": "1"})


@plugin.get("/tuple")
def tuple_(request: Request) -> tuple[str, int]:
    return "accepted", 202


@plugin.get("/html")
def html(request: Request) -> Response:
    return Response("<b>hï</b>", media_type="text/html")


@plugin.get("/async")
async def async_(request: Request) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"async": True}


@plugin.get("/items/{item_id}")
def item(request: Request) -> dict[str, Any]:
    return {
        "id": request.path_params["item_id"],
        "tags": request.query.getlist("tag"),
        "q": request.query.get("q"),
        "missing": request.query.get("nope", "default"),
    }


@plugin.route(["PUT", "DELETE"], "/multi")
def multi(request: Request) -> dict[str, str]:
    return {"method": request.method}


@plugin.get("/multi")
def multi_get(request: Request) -> dict[str, str]:
    return {"method": "GET"}


@plugin.get("/files/{rest:path}")
def files(request: Request) -> dict[str, str]:
    return {"rest": request.path_params["rest"]}


@plugin.post("/echo")
def echo(request: Request) -> dict[str, Any]:
    return _echo(request)


@plugin.post("/echo-async")
async def echo_async(request: Request) -> dict[str, Any]:
    return _echo(request)


@plugin.post("/json-in")
async def json_in(request: Request) -> Any:
    return {"got": request.json()}


@plugin.get("/large")
def large(request: Request) -> str:
    return LARGE_TEXT


@plugin.get("/teapot")
def teapot(request: Request) -> None:
    raise HTTPError(418, "I'm a teapot ☕")


@plugin.get("/boom")
def boom(request: Request) -> None:
    raise RuntimeError("SECRET-TRACEBACK-MARKER")


@plugin.get("/boom-async")
async def boom_async(request: Request) -> None:
    raise RuntimeError("SECRET-TRACEBACK-MARKER")


@plugin.get("/bad-return")
def bad_return(request: Request) -> Any:
    return object()


# Typed handlers: every parameter kind, lists, enums, constraints, bodies and return values.


class Color(StrEnum):
    red = "red"
    green = "green"


class Item(BaseModel):
    sku: str = Field(min_length=1, max_length=20)
    qty: int = Field(1, ge=1, le=1000)


class Basket(BaseModel):
    id: UUID
    owner: str
    items: list[Item]
    color: Color = Color.red
    note: str | None = None


@plugin.get("/typed/{item_id}")
def typed_query(
    item_id: int,
    flag: bool = False,
    ratio: float = Query(1.0, ge=0, le=10),
    color: Color | None = None,
    colors: list[Color] = Query([]),
    tags: list[str] = Query([]),
    limit: int = Query(50, ge=1, le=500),
    code: str = Query("ab", pattern=r"^[a-z]+$"),
    since: datetime | None = None,
    day: date | None = None,
    x_tenant: str | None = Header(None),
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "flag": flag,
        "ratio": ratio,
        "color": color,
        "colors": colors,
        "tags": tags,
        "limit": limit,
        "code": code,
        "since": since.isoformat() if since else None,
        "day": day.isoformat() if day else None,
        "tenant": x_tenant,
    }


@plugin.get("/typed-required")
def typed_required(q: str, x_key: str = Header()) -> dict[str, str]:
    return {"q": q, "key": x_key}


@plugin.get("/baskets/{basket_id}")
async def get_basket(basket_id: UUID) -> Basket:
    return Basket(id=basket_id, owner="ö", items=[Item(sku="a")])


@plugin.post("/baskets", status=201)
async def create_basket(basket: Basket, request: Request) -> Basket:
    assert request.method == "POST"
    return basket


@plugin.put("/baskets")
def put_baskets(baskets: list[Basket]) -> list[Basket]:
    return baskets


@plugin.post("/optional-body")
def optional_body(item: Item | None = None) -> dict[str, Any]:
    return {"item": None if item is None else item.model_dump()}
