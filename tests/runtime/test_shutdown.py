"""Graceful shutdown with a real `flotilla serve` process: SIGTERM drains, then exits 0."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from flotilla.process import free_port
from flotilla.runtime.testing import serve_process

REPO = Path(__file__).resolve().parents[2]


def wait_for(path: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_sigterm_fails_readiness_finishes_inflight_and_exits_0(
    slow_service: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    env = {"SLOW_MARKER": str(marker), "FLOTILLA_DRAIN_SECONDS": "20"}
    with serve_process(slow_service, env=env) as (base, proc):
        assert httpx.get(f"{base}/slow/readyz").status_code == 200
        result: dict[str, httpx.Response] = {}
        slow = threading.Thread(
            target=lambda: result.update(r=httpx.get(f"{base}/slow/wait?seconds=2", timeout=30))
        )
        slow.start()
        wait_for(marker)  # the slow request is in flight
        proc.send_signal(signal.SIGTERM)
        # During the drain: not ready (the ALB stops routing here), but still alive.
        ready = httpx.get(f"{base}/slow/readyz", timeout=5)
        assert ready.status_code == 503
        assert ready.json() == {"status": "draining"}
        assert httpx.get(f"{base}/slow/healthz", timeout=5).status_code == 200
        slow.join(timeout=30)
        assert result["r"].status_code == 200
        assert result["r"].json() == {"waited": True}
        assert proc.wait(timeout=30) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/slow/healthz", timeout=2)


def test_idle_server_exits_0_on_sigterm(slow_service: Path) -> None:
    with serve_process(slow_service) as (_, proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def request_count(metrics: str, route: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == "flotilla_http_requests_total" and sample.labels["route"] == route:
                total += sample.value
    return total


def test_two_workers_share_metrics_and_drain(tmp_path: Path) -> None:
    env = {"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    internal = free_port()
    orders = REPO / "services" / "orders"
    with serve_process(orders, env=env, internal_port=internal) as (base, proc):
        for _ in range(6):  # a new connection each time, so both workers take some
            assert httpx.get(f"{base}/orders/1").status_code == 404
        metrics = httpx.get(f"http://127.0.0.1:{internal}/orders/metrics").text
        assert request_count(metrics, "/orders/{order_id}") == 6
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
