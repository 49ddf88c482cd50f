"""The same plugin under FastAPI, Flask and Django must be indistinguishable from outside.

Every case runs against all three (over real HTTP) and checks both the expected answer and
that the three answers are identical: status, body bytes, and the headers a client sees.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conformance.conformance_plugin import LARGE_TEXT, MAX_BODY_BYTES

COMPARED_HEADERS = ("content-type", "content-length", "allow", "location", "x-custom")
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BIG_BODY = bytes(range(256)) * 12_288  # 3 MiB, every byte value


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    content_type: str | None = JSON
    body: Any = None  # expected JSON (dict/list), str or bytes; None: not checked
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    check: Callable[[httpx.Response], None] | None = None


def err(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}


def no_leak(resp: httpx.Response) -> None:
    assert b"SECRET" not in resp.content and b"Traceback" not in resp.content


def headers_are(**expected: str) -> Callable[[httpx.Response], None]:
    """Each keyword (underscores for dashes) is a header the answer must carry, with that value."""

    def check(resp: httpx.Response) -> None:
        for key, value in expected.items():
            assert resp.headers.get(key.replace("_", "-")) == value, key

    return check


def invalid(*fields: tuple[list[str | int], str]) -> Callable[[httpx.Response], None]:
    """A 422 in the one validation shape, naming exactly these (loc, type) pairs."""

    def check(resp: httpx.Response) -> None:
        error = resp.json()["error"]
        assert set(error) == {"status", "message", "fields"}, error
        assert (error["status"], error["message"]) == (422, "validation failed")
        assert [(f["loc"], f["type"]) for f in error["fields"]] == list(fields), error
        assert all(set(f) == {"loc", "msg", "type"} and f["msg"] for f in error["fields"])

    return check


def malformed_json(resp: httpx.Response) -> None:
    error = resp.json()["error"]
    assert error["status"] == 400 and error["message"].startswith("malformed JSON body"), error


def head_has_length(resp: httpx.Response) -> None:
    assert int(resp.headers["content-length"]) > 0


def echo_of(body: bytes, **expected: Any) -> Callable[[httpx.Response], None]:
    def check(resp: httpx.Response) -> None:
        data = resp.json()
        assert data["length"] == len(body)
        assert data["sha256"] == hashlib.sha256(body).hexdigest()
        for key, value in expected.items():
            assert data[key] == value, key

    return check


UUID_ = "12345678-1234-5678-1234-567812345678"
BASKET = (
    b'{"id": "12345678123456781234567812345678", "owner": "me", "items": [{"sku": "a", "qty": 2}],'
    b' "color": "green"}'
)
BASKET_OUT = {"id": UUID_, "owner": "me", "items": [{"sku": "a", "qty": 2}], "color": "green",
              "note": None}  # fmt: skip
TYPED_DEFAULTS = {"item_id": 7, "flag": False, "ratio": 1.0, "color": None, "colors": [],
                  "tags": [], "limit": 50, "code": "ab", "since": None, "day": None,
                  "tenant": None}  # fmt: skip

CASES = [
    Case("json-unicode", "GET", "/conf/json", 200,
         body={"hello": "wörld ✓", "n": 1, "list": [1, 2.5, None, True]}),
    Case("json-list", "GET", "/conf/list", 200, body=[1, 2, 3]),
    Case("text", "GET", "/conf/text", 200, TEXT, "héllo ✓"),
    Case("bytes", "GET", "/conf/bytes", 200, "application/octet-stream", b"\x00\x01\xff"),
    Case("none-204", "GET", "/conf/none", 204, None, b""),
    Case("response-201-headers", "POST", "/conf/created", 201, body={"ok": True},
         check=headers_are(location="/conf/x", x_custom="1")),
    Case("tuple-status", "GET", "/conf/tuple", 202, TEXT, "accepted"),
    Case("media-type", "GET", "/conf/html", 200, "text/html; charset=utf-8", "<b>hï</b>"),
    Case("async-handler", "GET", "/conf/async", 200, body={"async": True}),
    Case("root-no-slash", "GET", "/conf", 200, body=None),
    Case("root-slash", "GET", "/conf/", 200, body={"root": True, "path": "/conf/"}),
    Case("query-lists", "GET", "/conf/items/a%20b?tag=x&tag=y&tag=&q=%C3%A9t%C3%A9", 200,
         body={"id": "a b", "tags": ["x", "y", ""], "q": "été", "missing": "default"}),
    Case("unicode-path", "GET", "/conf/items/%C3%A9t%C3%A9%E2%9C%93", 200,
         body={"id": "été✓", "tags": [], "q": None, "missing": "default"}),
    Case("path-param-path", "GET", "/conf/files/a/b/c.txt", 200, body={"rest": "a/b/c.txt"}),
    Case("echo-sync", "POST", "/conf/echo?a=1&a=2", 200, content=b"hello",
         headers={"Content-Type": "text/plain", "x-TeSt": "v", "Cookie": "a=1; b=\"x y\""},
         check=echo_of(b"hello", content_type="text/plain", x_test="v",
                       cookies={"a": "1", "b": "x y"}, query=[["a", "1"], ["a", "2"]],
                       path="/conf/echo", method="POST")),
    Case("echo-async", "POST", "/conf/echo-async", 200, content="ünï".encode(),
         check=echo_of("ünï".encode(), text_head="ünï")),
    Case("empty-body", "POST", "/conf/echo", 200, content=b"", check=echo_of(b"")),
    Case("large-body", "POST", "/conf/echo", 200, content=BIG_BODY, check=echo_of(BIG_BODY)),
    Case("large-response", "GET", "/conf/large", 200, TEXT, LARGE_TEXT),
    Case("json-in", "POST", "/conf/json-in", 200, content='{"a": ["ß"]}'.encode(),
         body={"got": {"a": ["ß"]}}),
    Case("malformed-json-400", "POST", "/conf/json-in", 400, content=b"{nope",
         check=malformed_json),
    Case("http-error", "GET", "/conf/teapot", 418, body=err(418, "I'm a teapot ☕")),
    Case("exception-500", "GET", "/conf/boom", 500, body=err(500, "internal server error"),
         check=no_leak),
    Case("async-exception-500", "GET", "/conf/boom-async", 500,
         body=err(500, "internal server error"), check=no_leak),
    Case("bad-return-500", "GET", "/conf/bad-return", 500, body=err(500, "internal server error")),
    Case("unknown-404", "GET", "/conf/nope", 404, body=err(404, "not found")),
    Case("trailing-slash-404", "GET", "/conf/json/", 404, body=err(404, "not found")),
    Case("deep-unknown-404", "POST", "/conf/items/1/x", 404, body=err(404, "not found")),
    Case("405-allow", "POST", "/conf/items/1", 405, body=err(405, "method not allowed"),
         check=headers_are(allow="GET, HEAD")),
    Case("405-allow-multi", "PATCH", "/conf/multi", 405, body=err(405, "method not allowed"),
         check=headers_are(allow="DELETE, GET, HEAD, PUT")),
    Case("options-405", "OPTIONS", "/conf/json", 405, body=err(405, "method not allowed")),
    Case("route-methods", "DELETE", "/conf/multi", 200, body={"method": "DELETE"}),
    Case("head", "HEAD", "/conf/json", 200, body=b"",
         check=head_has_length),
    Case("head-404", "HEAD", "/conf/nope", 404, body=b""),
    # Typed handlers.
    Case("typed-defaults", "GET", "/conf/typed/7", 200, body=TYPED_DEFAULTS),
    Case("typed-all-kinds", "GET", "/conf/typed/7?flag=true&ratio=2.5&color=green&colors=red"
         "&colors=green&tags=a&tags=&limit=500&code=xyz&since=2026-01-02T03:04:05Z"
         "&day=2026-01-02", 200, headers={"X-Tenant": "t1"},
         body={**TYPED_DEFAULTS, "flag": True, "ratio": 2.5, "color": "green",
               "colors": ["red", "green"], "tags": ["a", ""], "limit": 500, "code": "xyz",
               "since": "2026-01-02T03:04:05+00:00", "day": "2026-01-02", "tenant": "t1"}),
    Case("typed-query-scalar-last-wins", "GET", "/conf/typed/7?limit=1&limit=2", 200,
         body={**TYPED_DEFAULTS, "limit": 2}),
    Case("422-path", "GET", "/conf/typed/x", 422, check=invalid((["path", "item_id"],
                                                                 "int_parsing"))),
    Case("422-query-constraints", "GET", "/conf/typed/1?limit=0&ratio=11&code=AB", 422,
         check=invalid((["query", "ratio"], "less_than_equal"),
                       (["query", "limit"], "greater_than_equal"),
                       (["query", "code"], "string_pattern_mismatch"))),
    Case("422-query-enum-list", "GET", "/conf/typed/1?colors=red&colors=blue&color=x", 422,
         check=invalid((["query", "color"], "enum"), (["query", "colors", 1], "enum"))),
    Case("422-query-types", "GET", "/conf/typed/1?flag=maybe&since=never&day=x", 422,
         check=invalid((["query", "flag"], "bool_parsing"),
                       (["query", "since"], "datetime_from_date_parsing"),
                       (["query", "day"], "date_from_datetime_parsing"))),
    Case("422-required-query-header", "GET", "/conf/typed-required", 422,
         check=invalid((["query", "q"], "missing"), (["header", "x-key"], "missing"))),
    Case("typed-required-ok", "GET", "/conf/typed-required?q=1", 200, headers={"X-Key": "k"},
         body={"q": "1", "key": "k"}),
    Case("typed-return-model", "GET", f"/conf/baskets/{UUID_}", 200,
         body={"id": UUID_, "owner": "ö", "items": [{"sku": "a", "qty": 1}], "color": "red",
               "note": None}),
    Case("422-path-uuid", "GET", "/conf/baskets/nope", 422,
         check=invalid((["path", "basket_id"], "uuid_parsing"))),
    Case("typed-body-201", "POST", "/conf/baskets", 201, content=BASKET,
         headers={"Content-Type": "application/json"}, body=BASKET_OUT),
    Case("typed-body-json-charset", "POST", "/conf/baskets", 201, content=BASKET,
         headers={"Content-Type": "application/json; charset=utf-8"}, body=BASKET_OUT),
    Case("typed-body-list", "PUT", "/conf/baskets", 200, content=b"[" + BASKET + b"]",
         headers={"Content-Type": "application/json"}, body=[BASKET_OUT]),
    Case("422-body-fields", "POST", "/conf/baskets", 422,
         content=b'{"id": "x", "items": [{"sku": "", "qty": "2"}], "color": "blue"}',
         headers={"Content-Type": "application/json"},
         check=invalid((["body", "id"], "uuid_parsing"), (["body", "owner"], "missing"),
                       (["body", "items", 0, "sku"], "string_too_short"),
                       (["body", "items", 0, "qty"], "int_type"),
                       (["body", "color"], "enum"))),
    Case("422-body-missing", "POST", "/conf/baskets", 422,
         check=invalid((["body"], "missing"))),
    Case("422-body-not-object", "POST", "/conf/baskets", 422, content=b"[1]",
         headers={"Content-Type": "application/json"},
         check=invalid((["body"], "model_type"))),
    Case("typed-optional-body-absent", "POST", "/conf/optional-body", 200, body={"item": None}),
    Case("400-typed-malformed", "POST", "/conf/baskets", 400, content=b'{"id": ',
         headers={"Content-Type": "application/json"}, check=malformed_json),
    Case("415-wrong-content-type", "POST", "/conf/baskets", 415, content=BASKET,
         headers={"Content-Type": "text/plain"},
         body=err(415, "content type 'text/plain' is not application/json")),
    Case("415-no-content-type", "POST", "/conf/baskets", 415, content=BASKET,
         body=err(415, "content type 'none' is not application/json")),
    Case("413-over-limit", "POST", "/conf/baskets", 413, content=b" " * (MAX_BODY_BYTES + 1),
         headers={"Content-Type": "application/json"},
         body=err(413, f"request body over {MAX_BODY_BYTES} bytes")),
    Case("413-request-style", "POST", "/conf/echo", 413, content=b"x" * (MAX_BODY_BYTES + 1),
         body=err(413, f"request body over {MAX_BODY_BYTES} bytes")),
    Case("405-typed-allow", "DELETE", "/conf/baskets", 405, body=err(405, "method not allowed"),
         check=headers_are(allow="POST, PUT")),
]  # fmt: skip


def fetch(base: str, case: Case) -> httpx.Response:
    return httpx.request(
        case.method, base + case.path, headers=case.headers, content=case.content, timeout=30
    )


def expect(case: Case, resp: httpx.Response) -> None:
    assert resp.status_code == case.status
    assert resp.headers.get("content-type") == case.content_type
    assert resp.headers.get("x-request-id")
    if isinstance(case.body, dict | list):
        assert (
            resp.content
            == json.dumps(case.body, ensure_ascii=False, separators=(",", ":")).encode()
        )
    elif isinstance(case.body, str):
        assert resp.text == case.body
    elif isinstance(case.body, bytes):
        assert resp.content == case.body
    if case.check is not None:
        result = case.check(resp)  # type: ignore[func-returns-value]
        assert result is None, f"{case.id}: a check must assert, not return {result!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_answer_under_every_framework(case: Case, conformance_servers: dict[str, str]) -> None:
    answers = {fw: fetch(base, case) for fw, base in conformance_servers.items()}
    for resp in answers.values():
        expect(case, resp)
    seen = {
        fw: (r.status_code, r.content, {h: r.headers.get(h) for h in COMPARED_HEADERS})
        for fw, r in answers.items()
    }
    first = seen["fastapi"]
    for fw, answer in seen.items():
        assert answer == first, f"{fw} differs from fastapi"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_access_log_line_under_every_framework(
    case: Case, conformance_servers: dict[str, str], access_logs: dict[str, dict[str, Any]]
) -> None:
    """The request id a caller got back finds the same method, route template and status in
    every framework's access log, so dashboards do not care which framework serves."""
    logged = {}
    for fw, base in conformance_servers.items():
        rid = fetch(base, case).headers["x-request-id"]
        deadline = time.monotonic() + 5  # the line is written just after the response is sent
        while rid not in access_logs[fw] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rid in access_logs[fw], f"{fw}: no access-log line for request {rid}"
        logged[fw] = access_logs[fw][rid]
    assert logged["fastapi"][0] == case.method and logged["fastapi"][2] == case.status
    assert len(set(logged.values())) == 1, logged


RAW_METHODS = [("TRACE", "/conf/json", "GET, HEAD"),
               ("BREW", "/conf/multi", "DELETE, GET, HEAD, PUT"),
               ("get", "/conf/json", "GET, HEAD"),
               ("post", "/conf/baskets", "POST, PUT")]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "allow"), RAW_METHODS, ids=[m for m, _, _ in RAW_METHODS]
)
def test_unknown_and_lowercase_methods_get_one_405(
    method: str, path: str, allow: str, conformance_servers: dict[str, str]
) -> None:
    """Sent as typed (httpx would upper-case it): the same 405 and Allow under every framework."""
    seen = set()
    for base in conformance_servers.values():
        conn = http.client.HTTPConnection(httpx.URL(base).host, httpx.URL(base).port, timeout=30)
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 405, (base, resp.status, body)
        assert resp.getheader("allow") == allow
        assert json.loads(body) == err(405, "method not allowed")
        seen.add((resp.status, body, resp.getheader("allow"), resp.getheader("content-type")))
    assert len(seen) == 1, seen
