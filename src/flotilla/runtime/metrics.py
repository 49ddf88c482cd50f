"""Prometheus request counter and latency histogram, labelled by service, route template,
method and status. With several workers (WEB_CONCURRENCY > 1) prometheus-client's
multiprocess mode aggregates all workers (PROMETHEUS_MULTIPROC_DIR, set by `flotilla serve`)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric

from flotilla.runtime.plugin import SERVED_METHODS

# Fine buckets where web latencies live, so /stats' error bound (one bucket) stays small.
BUCKETS = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075,
    0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0,
)  # fmt: skip
LATENCY = "flotilla_http_request_duration_seconds"
KNOWN_METHODS = frozenset(SERVED_METHODS)
LABELS = ("service", "route", "method", "status")


class Metrics:
    """One registry per app, so tests (and `flotilla dev`) never collide on metric names."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "flotilla_http_requests", "HTTP requests served.", LABELS, registry=self.registry
        )
        self.latency = Histogram(
            LATENCY, "HTTP request latency.", LABELS, buckets=BUCKETS, registry=self.registry
        )

    def observe(self, service: str, route: str, method: str, status: int, seconds: float) -> None:
        # Unknown methods share one label value to bound cardinality.
        labels = (service, route, method if method in KNOWN_METHODS else "OTHER", str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def _source(self) -> CollectorRegistry:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return registry
        return self.registry

    def exposition(self) -> bytes:
        return generate_latest(self._source())

    def collect(self) -> Iterable[Metric]:
        return self._source().collect()
