"""`flotilla serve` as the container runs it: every framework, runtime endpoints, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flotilla.process import free_port
from flotilla.runtime.testing import serve_process

REPO = Path(__file__).resolve().parents[2]
ORDERS = REPO / "services" / "orders"


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_orders_plugin_under_each_framework(framework: str, tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    internal = free_port()
    with (
        serve_process(ORDERS, "--framework", framework, stdout=log, internal_port=internal) as (
            base,
            _,
        ),
        httpx.Client(base_url=base, timeout=10) as c,
        httpx.Client(base_url=f"http://127.0.0.1:{internal}", timeout=10) as inside,
    ):
        made = c.post("/orders", json={"customer": "z", "items": [{"sku": "a"}]})
        assert made.status_code == 201
        order_id = made.json()["id"]
        got = c.get(f"/orders/{order_id}", headers={"X-Request-Id": "req-abc"})
        assert got.json()["customer"] == "z"
        assert got.headers["x-request-id"] == "req-abc"
        assert c.get("/orders/healthz").json() == {"status": "ok"}
        assert c.get("/orders/readyz").json() == {"status": "ready"}
        assert c.get("/orders/metrics").status_code == 404  # only on the internal port
        assert c.get("/orders/%6detrics").status_code == 404
        metrics = inside.get("/orders/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'route="/orders/{order_id}"' in metrics.text
        assert f"/orders/{order_id}" + '"' not in metrics.text
        stats = inside.get("/orders/stats").json()
        row = next(r for r in stats["routes"] if r["route"] == "/orders/{order_id}")
        assert row["count"] == 1 and row["p99_ms"] >= row["p50_ms"] > 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [entry for entry in lines if entry["request_id"] == "req-abc"]
    assert len(mine) == 1
    assert mine[0]["route"] == "/orders/{order_id}"
    assert mine[0]["status"] == 200 and mine[0]["method"] == "GET"
    assert set(mine[0]) >= {"time", "duration_ms"}


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "flotilla.cli", "serve", *args, "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["services/nope"], None, "no service.toml here"),
        (["services/orders", "--framework", "bottle"], None, "allowed: fastapi, flask, django"),
        (["services/catalog", "--framework", "flask"], None, "is a native django app"),
        (["services/orders"], {"FLOTILLA_DRAIN_SECONDS": "soon"}, "FLOTILLA_DRAIN_SECONDS"),
        (["services/orders"], {"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        (["services/orders"], {"FLOTILLA_INTERNAL_PORT": "http"}, "FLOTILLA_INTERNAL_PORT"),
        (["services/orders"], {"FLOTILLA_INTERNAL_PORT": "1"}, "must differ from the service"),
        (["services/orders"], {"FLOTILLA_TRUSTED_PROXIES": "*"}, "never *"),
    ],
)
def test_bad_input_is_one_clear_error_exit_2(
    args: list[str], env: dict[str, str] | None, message: str
) -> None:
    # --port 1 would fail to bind: exit 2 proves validation happened before any side effect.
    args = [str(REPO / args[0]), *args[1:]]
    result = run_serve(*args, env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


CLIENT_ECHO = """
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/")
def who(request: Request) -> dict:
    return {"client": request.client.host, "scheme": request.url.scheme}
"""


@pytest.mark.parametrize(
    ("trusted", "client", "scheme"),
    [
        (None, "203.0.113.7", "https"),  # unset: loopback only (the caller here) is trusted
        ("10.40.0.0/16", "127.0.0.1", "http"),  # a VPC CIDR: the forged headers are ignored
        ("127.0.0.0/8", "203.0.113.7", "https"),  # from a trusted proxy: believed
    ],
)
def test_forwarded_headers_only_from_trusted_proxies(
    tmp_path: Path, trusted: str | None, client: str, scheme: str
) -> None:
    folder = tmp_path / "echo"
    folder.mkdir()
    (folder / "service.toml").write_text(
        'name = "echo"\nframework = "fastapi"\nentry = "echo_app:app"\npath = "/echo"\n'
        'version = "0.1.0"\n'
    )
    (folder / "echo_app.py").write_text(CLIENT_ECHO)
    env = {"FLOTILLA_TRUSTED_PROXIES": trusted} if trusted else {}
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with serve_process(folder, env=env) as (base, _):
        seen = httpx.get(f"{base}/echo/", headers=forged, timeout=10).json()
    assert seen == {"client": client, "scheme": scheme}
