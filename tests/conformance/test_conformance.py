"""The same plugin under FastAPI, Flask and Django must be indistinguishable from outside.

Every case runs against all three (over real HTTP) and checks both the expected answer and
that the three answers are identical: status, body bytes, and the headers a client sees.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conformance.conformance_plugin import LARGE_TEXT

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
