"""The local ALB's target health, through the real haproxy: only healthy targets get traffic,
and a group whose every target is unhealthy routes to all of them (ALB's fail open)."""

from __future__ import annotations

import collections
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from flotilla.local.alb import LocalAlb
from flotilla.local.haproxy import render, stat_key
from flotilla.local.paths import LocalPaths
from flotilla.local.snapshot import Listener, Rule, Snapshot, TargetGroup
from flotilla.process import free_port


class Target:
    """A loopback HTTP server: `/svc/readyz` answers 200 or 503 as `ready` says; any other
    path answers 200 with the server's name."""

    def __init__(self, name: str, ready: bool) -> None:
        self.name, self.ready = name, ready
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ok = self.path != "/svc/readyz" or outer.ready
                body = outer.name.encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _alb(tmp_path: Path, targets: list[Target]) -> tuple[LocalAlb, TargetGroup, int]:
    paths = LocalPaths(tmp_path)
    paths.dir.mkdir(parents=True)
    tg = TargetGroup(
        "arn:tg",
        "svc",
        8000,
        "/svc/readyz",
        1,
        1,
        1,
        1,
        "200",
        1,
        tuple(("127.0.0.1", t.port) for t in targets),
    )
    forward = {"Type": "forward", "TargetGroupArn": "arn:tg"}
    snap = Snapshot(
        target_groups={"arn:tg": tg},
        listeners=[Listener("alb", 80, (Rule(1, ("/svc", "/svc/*"), (), forward),))],
    )
    port = free_port()
    paths.haproxy_state.write_text("")
    paths.haproxy_cfg.write_text(render(snap, paths, port))
    alb = LocalAlb(paths)
    alb.start(str(paths.haproxy_log))
    return alb, tg, port


@pytest.fixture
def targets() -> Iterator[list[Target]]:
    made = [Target("ready", True), Target("unready", False)]
    yield made
    for t in made:
        t.close()


def _settle(alb: LocalAlb, tg: TargetGroup, targets: list[Target], up: set[str]) -> None:
    """Wait (bounded) until haproxy's checks mark exactly the targets named in `up` as UP."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        stats = alb.stats()
        seen = {
            t.name
            for t in targets
            if (s := stats.get(stat_key(tg, "127.0.0.1", t.port))) and s.status == "UP"
        }
        if seen == up:
            return
        time.sleep(0.2)
    raise AssertionError(f"haproxy checks did not settle on {up}: {alb.stats()}")


def test_only_ready_targets_get_traffic_and_all_unready_fails_open(
    tmp_path: Path, targets: list[Target]
) -> None:
    alb, tg, port = _alb(tmp_path, targets)
    try:
        _settle(alb, tg, targets, {"ready"})
        seen = collections.Counter(
            requests.get(f"http://127.0.0.1:{port}/svc/x", timeout=5).text for _ in range(10)
        )
        assert seen == {"ready": 10}, seen

        targets[0].ready = False  # now no target is ready: ALB routes to every one
        _settle(alb, tg, targets, set())
        answers = [requests.get(f"http://127.0.0.1:{port}/svc/x", timeout=5) for _ in range(10)]
        assert {r.status_code for r in answers} == {200}
        assert collections.Counter(r.text for r in answers) == {"ready": 5, "unready": 5}
    finally:
        alb.stop()
