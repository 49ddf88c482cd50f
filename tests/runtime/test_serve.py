"""`flotilla serve` as the container runs it: every framework, runtime endpoints, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flotilla.runtime.testing import serve_process

REPO = Path(__file__).resolve().parents[2]
ORDERS = REPO / "services" / "orders"


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_orders_plugin_under_each_framework(framework: str, tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    with (
        serve_process(ORDERS, "--framework", framework, stdout=log) as (base, _),
        httpx.Client(base_url=base, timeout=10) as c,
    ):
        made = c.post("/orders", json={"customer": "z", "items": [{"sku": "a"}]})
        assert made.status_code == 201
        order_id = made.json()["id"]
        got = c.get(f"/orders/{order_id}", headers={"X-Request-Id": "req-abc"})
        assert got.json()["customer"] == "z"
        assert got.headers["x-request-id"] == "req-abc"
        assert c.get("/orders/healthz").json() == {"status": "ok"}
        assert c.get("/orders/readyz").json() == {"status": "ready"}
        metrics = c.get("/orders/metrics")
        assert metrics.headers["content-type"].startswith("text/plain")
        assert 'route="/orders/{order_id}"' in metrics.text
        assert f"/orders/{order_id}" + '"' not in metrics.text
        stats = c.get("/orders/stats").json()
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
