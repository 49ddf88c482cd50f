"""The ALB config generator: ALB wildcard semantics and configs the real haproxy accepts."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from flotilla.local.haproxy import matcher_regex, pattern_regex, render
from flotilla.local.paths import LocalPaths
from flotilla.local.snapshot import Listener, Rule, Snapshot, TargetGroup
from flotilla.process import free_port, stop


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/orders", "/orders", True),
        ("/orders", "/orders/", False),
        ("/orders/*", "/orders/1/items", True),
        ("/orders*", "/ordersx", True),
        ("/*/metrics", "/orders/metrics", True),
        ("/*/metrics", "/orders/metrics/x", False),
        ("/v?/x", "/v1/x", True),
        ("/v?/x", "/v10/x", False),
        ("/a.b", "/aXb", False),  # regex characters are literal
        ("/Orders", "/orders", False),  # case-sensitive like ALB
    ],
)
def test_path_patterns_follow_alb_wildcards(pattern: str, path: str, matches: bool) -> None:
    assert bool(re.match(pattern_regex(pattern), path)) is matches


@pytest.mark.parametrize(
    ("matcher", "code", "ok"),
    [
        ("200", "200", True),
        ("200", "204", False),
        ("200-299", "204", True),
        ("200-299", "301", False),
        ("200,302", "302", True),
        ("200-204", "205", False),
    ],
)
def test_health_matcher(matcher: str, code: str, ok: bool) -> None:
    assert bool(re.match(matcher_regex(matcher), code)) is ok


def test_generated_config_is_valid_for_haproxy(tmp_path: Path) -> None:
    paths = LocalPaths(tmp_path)
    paths.dir.mkdir(parents=True)
    tg = TargetGroup(
        "arn:tg",
        "orders",
        8000,
        "/orders/healthz",
        15,
        5,
        2,
        3,
        "200-299",
        30,
        (("172.17.0.2", 8000), ("172.17.0.3", 8000)),
    )
    fixed = {
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "StatusCode": "404",
            "ContentType": "application/json",
            "MessageBody": '{"error": "not found: $HOME \\"quoted\\""}',
        },
    }
    snap = Snapshot(
        target_groups={"arn:tg": tg},
        listeners=[
            Listener(
                "alb",
                80,
                (
                    Rule(2, ("/orders/metrics", "/orders/stats/*"), (), fixed),
                    Rule(
                        3,
                        ("/orders", "/orders/*"),
                        ("api.example.com",),
                        {"Type": "forward", "TargetGroupArn": "arn:tg"},
                    ),
                    Rule(10**9, (), (), fixed),
                ),
            )
        ],
    )
    paths.haproxy_cfg.write_text(render(snap, paths, 18080))
    r = subprocess.run(
        ["haproxy", "-c", "-f", str(paths.haproxy_cfg)], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    text = paths.haproxy_cfg.read_text()
    assert "server t_172_17_0_2_8000 172.17.0.2:8000" in text
    assert "default-server check inter 15s rise 2 fall 3" in text
    # priority order: the metrics block comes before the forward rule
    assert text.index("/orders/metrics") < text.index("set-var(txn.tg) str(tg_orders)")


def test_root_page_lists_every_service_with_its_docs(tmp_path: Path) -> None:
    """A real haproxy answers `/` with a link to each routed service's docs and document."""
    paths = LocalPaths(tmp_path)
    paths.dir.mkdir(parents=True)
    forward = {"Type": "forward", "TargetGroupArn": "arn:tg"}
    tg = TargetGroup("arn:tg", "orders", 8000, "/orders/healthz", 15, 5, 2, 3, "200-299", 30, ())
    rules = (Rule(3, ("/orders", "/orders/*"), (), forward), Rule(4, ("/users/*",), (), forward))
    snap = Snapshot(target_groups={"arn:tg": tg}, listeners=[Listener("alb", 80, rules)])
    port = free_port()
    paths.haproxy_cfg.write_text(render(snap, paths, port))
    proc = subprocess.Popen(["haproxy", "-db", "-f", str(paths.haproxy_cfg)])
    try:
        page = None
        for _ in range(100):  # bounded: haproxy binds within a few hundred ms
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "haproxy exited"
                time.sleep(0.05)
        assert page is not None and page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "<a href=/orders/docs>" in page.text and "/orders/openapi.json" in page.text
        assert "/users" not in page.text  # only exact prefixes name a service
        other = httpx.get(f"http://127.0.0.1:{port}/orders/x", timeout=2)
        assert other.status_code == 503  # still routed (to no healthy target)
    finally:
        stop(proc, timeout=5)
