"""The plugin API's own rules: route definitions and how return values become responses."""

from __future__ import annotations

import pytest

from flotilla import HTTPError, Plugin, Request, Response
from flotilla.runtime.dispatch import render
from flotilla.runtime.messages import Headers, QueryParams


@pytest.mark.parametrize(
    "path", ["items", "/items/", "/a//b", "/{1x}", "/{rest:path}/more", "/{a}/{a}", "/x{y}"]
)
def test_bad_route_paths_are_rejected(path: str) -> None:
    with pytest.raises(ValueError, match="route path"):
        Plugin("p").get(path)


def test_duplicate_route_and_unknown_method() -> None:
    plugin = Plugin("p")
    plugin.get("/a")(lambda r: None)
    with pytest.raises(ValueError, match="registered twice"):
        plugin.get("/a")(lambda r: None)
    with pytest.raises(ValueError, match="not supported"):
        plugin.route("TRACE", "/b")
    assert plugin.routes["/a"].allow() == "GET, HEAD"


def test_query_params_keep_order_and_repeats() -> None:
    q = QueryParams.parse("a=1&b=&a=2&c=%C3%A9")
    assert q.getlist("a") == ["1", "2"]
    assert q.get("a") == "2" and q.get("b") == "" and q.get("zz", "d") == "d"
    assert q.items() == [("a", "1"), ("b", ""), ("a", "2"), ("c", "é")]
    assert "c" in q and q["c"] == "é" and len(q) == 3


def test_headers_are_case_insensitive() -> None:
    h = Headers([("X-Thing", "1"), ("x-thing", "2")])
    assert h["X-THING"] == "1, 2" and "x-Thing" in h


def test_request_json_and_cookies() -> None:
    req = Request(method="POST", path="/p", path_params={}, query=QueryParams(),
                  headers=Headers([("Cookie", "a=1; b=%20x")]), body=b"{bad")  # fmt: skip
    assert req.cookies == {"a": "1", "b": " x"}
    with pytest.raises(HTTPError) as info:
        req.json()
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("result", "status", "ctype", "body"),
    [
        ({"a": "é"}, 200, "application/json", '{"a":"é"}'.encode()),
        ([1], 200, "application/json", b"[1]"),
        ("hi", 200, "text/plain; charset=utf-8", b"hi"),
        (b"\x00", 200, "application/octet-stream", b"\x00"),
        (None, 204, None, b""),
        (("made", 201), 201, "text/plain; charset=utf-8", b"made"),
        (Response("<p>", media_type="text/html"), 200, "text/html; charset=utf-8", b"<p>"),
        (Response({"x": 1}, status=202), 202, "application/json", b'{"x":1}'),
    ],
)
def test_return_values(result: object, status: int, ctype: str | None, body: bytes) -> None:
    rendered = render(result)
    assert rendered.status == status
    assert dict(rendered.headers).get("content-type") == ctype
    assert rendered.body == body


def test_http_error_needs_an_error_status() -> None:
    with pytest.raises(ValueError):
        HTTPError(200, "fine")
