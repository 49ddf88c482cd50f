"""The plugin every conformance case runs against, under each framework."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from flotilla import HTTPError, Plugin, Request, Response

plugin = Plugin("conf")
LARGE_TEXT = "ü" * 1_000_000  # 2 MB of UTF-8


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
