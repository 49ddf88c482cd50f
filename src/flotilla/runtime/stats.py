"""Latency percentiles per route, computed from the Prometheus histogram buckets.

Method (the same as PromQL's `histogram_quantile`): for quantile q of a route with n
observations, find the first bucket whose cumulative count reaches q*n, then interpolate
linearly between that bucket's lower and upper bound, assuming observations are spread
evenly inside the bucket. The lowest bucket starts at 0. If the rank falls in the +Inf
bucket, the largest finite bound is returned (a lower bound on the true value).

Error bound: the true quantile lies in the same bucket as the estimate, so the error is at
most that bucket's width (reported per value as `*_bound_ms`). With the default buckets that
is 1 ms below 1 ms, 2.5 ms up to 10 ms, 25 ms up to 100 ms, 250 ms up to 1 s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

QUANTILES = (0.5, 0.95, 0.99)


def quantile(q: float, buckets: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(estimate, error bound) from sorted (upper bound, cumulative count) pairs incl. +Inf."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, cumulative in buckets:
        if cumulative >= rank and cumulative > below:
            if math.isinf(upper):
                return lower, math.inf
            estimate = lower + (upper - lower) * (rank - below) / (cumulative - below)
            return estimate, upper - lower
        lower, below = upper, cumulative
    return lower, math.inf


def route_stats(families: Iterable[Metric], metric: str, service: str) -> list[dict[str, object]]:
    """count and p50/p95/p99 (ms) per (route, method) of one service, across statuses."""
    grouped: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in families:
        if family.name != metric:
            continue
        for sample in family.samples:
            labels = sample.labels
            if not sample.name.endswith("_bucket") or labels.get("service") != service:
                continue
            key = (labels["route"], labels["method"])
            grouped[key][float(labels["le"])] += sample.value
    rows: list[dict[str, object]] = []
    for (route, method), by_le in sorted(grouped.items()):
        buckets = sorted(by_le.items())
        row: dict[str, object] = {"route": route, "method": method, "count": int(buckets[-1][1])}
        for q in QUANTILES:
            found = quantile(q, buckets)
            name = f"p{round(q * 100)}"
            row[f"{name}_ms"] = None if found is None else round(found[0] * 1000, 3)
            bound = None if found is None or math.isinf(found[1]) else round(found[1] * 1000, 3)
            row[f"{name}_bound_ms"] = bound
        rows.append(row)
    return rows
