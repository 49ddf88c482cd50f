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
