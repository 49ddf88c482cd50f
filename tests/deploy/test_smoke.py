"""Smoke checks over real HTTP: each `[[smoke]]` entry's method, body, status, substring and
JSON key; the default (GET of the root path) fails only on 5xx or no answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flotilla.checks import SmokeCheck, default_smoke
from flotilla.deploy import smoke
from flotilla.process import free_port


@pytest.fixture
def http_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code: int, doc: object) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/orders/":
                self._answer(404, {"error": "not found"})
            elif self.path == "/orders/items/1":
                self._answer(200, {"item": {"id": "1"}, "tags": ["a"]})
            else:
                self._answer(500, {"error": "boom"})

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            sent = json.loads(self.rfile.read(length))
            self._answer(201, {"echo": sent, "type": self.headers["Content-Type"]})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_each_check_passes_only_on_the_answer_it_expects(http_server: str) -> None:
    checks = (
        *default_smoke("/orders"),  # 404 is not 5xx: passes
        SmokeCheck(path="/orders/items/1", status=200, json_key="item.id", contains='"a"'),
        SmokeCheck(
            method="POST", path="/orders/items", body={"n": 1}, status=201, json_key="echo.n"
        ),
        SmokeCheck(path="/orders/items/1", status=201),
        SmokeCheck(path="/orders/items/1", contains="nowhere"),
        SmokeCheck(path="/orders/items/1", json_key="item.price"),
        SmokeCheck(path="/orders/boom"),  # default expectation: no 5xx
    )
    results = smoke.check(
        smoke.base_url("x.elb.amazonaws.com", http_server), {"orders": checks}, attempts=1
    )
    assert [r.problem for r in results] == [
        None,
        None,
        None,
        "expected HTTP 201",
        "body does not contain 'nowhere'",
        "JSON body has no key 'item.price'",
        "expected no 5xx",
    ]
    assert [r.status for r in results] == [404, 200, 201, 200, 200, 200, 500]
    assert smoke.failures(results) == {
        "orders": "smoke: GET /orders/items/1 -> 200: expected HTTP 201"
    }


def test_no_answer_is_a_failure_not_a_pass() -> None:
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    [result] = smoke.check(base, {"orders": default_smoke("/orders")}, attempts=2, delay=0.01)
    assert not result.ok and result.status is None
    assert result.problem is not None and result.problem.startswith("no answer:")
    assert smoke.base_url("my-alb.elb.amazonaws.com/") == "http://my-alb.elb.amazonaws.com"
