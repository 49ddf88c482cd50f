"""Percentiles from histogram buckets: the interpolation and its documented error bound."""

from __future__ import annotations

import math
import random

import pytest

from flotilla.runtime.metrics import BUCKETS, LATENCY, Metrics
from flotilla.runtime.stats import quantile, route_stats


def test_interpolates_inside_the_bucket_like_histogram_quantile() -> None:
    buckets = [(0.1, 50.0), (0.2, 100.0), (math.inf, 100.0)]
    assert quantile(0.5, buckets) == (0.1, 0.1)
    estimate, bound = quantile(0.99, buckets)  # type: ignore[misc]
    assert estimate == pytest.approx(0.198)
    assert bound == pytest.approx(0.1)


def test_rank_in_inf_bucket_reports_largest_bound_without_error_bound() -> None:
    buckets = [(0.1, 1.0), (math.inf, 10.0)]
    assert quantile(0.99, buckets) == (0.1, math.inf)


def test_no_observations() -> None:
    assert quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]) is None


def test_true_percentiles_lie_within_the_reported_bound() -> None:
    rng = random.Random(7)
    samples = [rng.lognormvariate(math.log(0.02), 0.8) for _ in range(5000)]
    metrics = Metrics()
    for s in samples:
        status = 200 if s < 0.05 else 500  # statuses are summed per route
        metrics.observe("svc", "/svc/items/{id}", "GET", status, s)
    (row,) = route_stats(metrics.collect(), LATENCY, "svc")
    assert row["count"] == 5000
    ordered = sorted(samples)
    for q in (50, 95, 99):
        true_ms = ordered[math.ceil(q / 100 * len(ordered)) - 1] * 1000
        estimate, bound = row[f"p{q}_ms"], row[f"p{q}_bound_ms"]
        assert isinstance(estimate, float) and isinstance(bound, float)
        assert abs(estimate - true_ms) <= bound
        assert bound in {
            round((hi - lo) * 1000, 3) for lo, hi in zip((0, *BUCKETS[:-1]), BUCKETS, strict=True)
        }


def test_stats_are_per_service_and_route() -> None:
    metrics = Metrics()
    metrics.observe("a", "/a/x", "GET", 200, 0.001)
    metrics.observe("b", "/b/y", "POST", 201, 0.001)
    metrics.observe("a", "/a/x", "BREW", 200, 0.001)
    rows = route_stats(metrics.collect(), LATENCY, "a")
    assert [(r["route"], r["method"]) for r in rows] == [("/a/x", "GET"), ("/a/x", "OTHER")]


def test_metrics_and_stats_agree_with_the_requests_made() -> None:
    """Over real HTTP: counts exact in /metrics and /stats, and each percentile within its
    reported bound of the true percentile of the durations the access log recorded."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from flotilla import Plugin
    from flotilla.runtime.app import Mount, RuntimeApp
    from flotilla.runtime.lifecycle import Lifecycle
    from flotilla.runtime.loader import plugin_app
    from flotilla.runtime.testing import serve_pair

    plugin = Plugin("svc")
    plugin.get("/items/{item_id}")(lambda r: {"id": r.path_params["item_id"]})
    logged: list[float] = []

    def collect(service: str, method: str, route: str, status: int, ms: float, rid: str) -> None:
        if route == "/svc/items/{item_id}":
            logged.append(ms)

    app = RuntimeApp(
        [Mount("svc", "/svc", plugin_app(plugin, "fastapi"))],
        lifecycle=Lifecycle(),
        access_log=collect,
    )
    made = 300
    with serve_pair(app) as bases, httpx.Client(timeout=10) as client:
        for i in range(made):
            assert client.get(f"{bases.public}/svc/items/{i}").status_code == 200
        assert client.get(f"{bases.public}/svc/nowhere").status_code == 404
        metrics = client.get(f"{bases.internal}/svc/metrics").text
        stats = client.get(f"{bases.internal}/svc/stats").json()
    counted = {
        (s.name, s.labels.get("route")): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
        if s.name in ("flotilla_http_requests_total", LATENCY + "_count")
    }
    assert counted[("flotilla_http_requests_total", "/svc/items/{item_id}")] == made
    assert counted[(LATENCY + "_count", "/svc/items/{item_id}")] == made
    assert counted[("flotilla_http_requests_total", "<unmatched>")] == 1
    (row,) = [r for r in stats["routes"] if r["route"] == "/svc/items/{item_id}"]
    assert row["count"] == made == len(logged)
    ordered = sorted(logged)
    for q in (50, 95, 99):
        true_ms = ordered[math.ceil(q / 100 * len(ordered)) - 1]
        assert abs(row[f"p{q}_ms"] - true_ms) <= row[f"p{q}_bound_ms"]
