"""Request counter and latency histogram, labelled by service, route template, method and
status: recorded in plain lists per label set, rendered in Prometheus' text format only when
/metrics or /stats is read.

prometheus-client's Counter/Histogram cost a label lookup, validation and a lock per call;
here a request costs one dict lookup and a bisect. With several workers (WEB_CONCURRENCY > 1)
each also writes its values into prometheus-client's per-process files
(PROMETHEUS_MULTIPROC_DIR, set by `flotilla serve`), and its MultiProcessCollector adds all
workers up at scrape time, as before.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from flotilla.runtime.plugin import SERVED_METHODS

# Fine buckets where web latencies live, so /stats' error bound (one bucket) stays small.
BUCKETS = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075,
    0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0,
)  # fmt: skip
REQUESTS = "flotilla_http_requests"
LATENCY = "flotilla_http_request_duration_seconds"
KNOWN_METHODS = frozenset(SERVED_METHODS)
LABELS = ("service", "route", "method", "status")
LE = [*(floatToGoString(b) for b in BUCKETS), "+Inf"]  # type: ignore[no-untyped-call]
HELP = {REQUESTS: "HTTP requests served.", LATENCY: "HTTP request latency."}

Labels = tuple[str, str, str, str]


class Series:
    """One label set: per-bucket counts (not cumulative; the last is +Inf) and the sum."""

    __slots__ = ("counts", "labels", "shared", "total")

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.shared: SharedKeys | None = None


class SharedKeys:
    """The keys of one series in prometheus-client's multiprocess files (its format)."""

    def __init__(self, labels: Labels) -> None:
        from prometheus_client.mmap_dict import mmap_key

        names, values = list(LABELS), list(labels)
        self.requests = mmap_key(REQUESTS, REQUESTS + "_total", names, values, HELP[REQUESTS])
        self.buckets = [
            mmap_key(LATENCY, LATENCY + "_bucket", [*names, "le"], [*values, le], HELP[LATENCY])
            for le in LE
        ]
        self.sum = mmap_key(LATENCY, LATENCY + "_sum", names, values, HELP[LATENCY])


class SharedFiles:
    """This worker's counter and histogram files, which every worker's scrape reads."""

    def __init__(self, folder: str) -> None:
        from prometheus_client.mmap_dict import MmapedDict

        pid = os.getpid()
        self.counter = MmapedDict(os.path.join(folder, f"counter_{pid}.db"))  # type: ignore[no-untyped-call]
        self.histogram = MmapedDict(os.path.join(folder, f"histogram_{pid}.db"))  # type: ignore[no-untyped-call]

    def write(self, series: Series, bucket: int) -> None:
        keys = series.shared
        if keys is None:
            keys = series.shared = SharedKeys(series.labels)
        self.counter.write_value(keys.requests, float(sum(series.counts)), 0.0)  # type: ignore[no-untyped-call]
        self.histogram.write_value(keys.buckets[bucket], float(series.counts[bucket]), 0.0)  # type: ignore[no-untyped-call]
        self.histogram.write_value(keys.sum, series.total, 0.0)  # type: ignore[no-untyped-call]


class Metrics:
    """One per app, so tests (and `flotilla dev`) never see each other's requests."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.series: dict[tuple[str, str, str, int], Series] = {}
        self.folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.shared = SharedFiles(self.folder) if self.folder else None

    def observe(self, service: str, route: str, method: str, status: int, seconds: float) -> None:
        # Unknown methods share one label value to bound cardinality.
        key = (service, route, method if method in KNOWN_METHODS else "OTHER", status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series((key[0], key[1], key[2], str(status)))
        bucket = bisect_left(BUCKETS, seconds)  # le: the first bound >= seconds
        series.counts[bucket] += 1
        series.total += seconds
        if self.shared is not None:
            self.shared.write(series, bucket)

    def _families(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(REQUESTS, HELP[REQUESTS], labels=LABELS)
        latency = HistogramMetricFamily(LATENCY, HELP[LATENCY], labels=LABELS)
        for series in list(self.series.values()):
            cumulative, running = [], 0
            for le, count in zip(LE, series.counts, strict=True):
                running += count
                cumulative.append((le, float(running)))
            requests.add_metric(series.labels, float(running))
            latency.add_metric(series.labels, cumulative, series.total)
        yield requests
        yield latency

    def _source(self) -> CollectorRegistry:
        registry = CollectorRegistry(auto_describe=False)
        if self.folder is not None:
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(registry, self.folder)  # type: ignore[no-untyped-call]
        else:
            registry.register(self)  # type: ignore[arg-type]
        return registry

    def collect(self) -> Iterable[Metric]:
        """Every worker's families (this one's alone when there is one worker)."""
        if self.shared is None:
            return list(self._families())
        return self._source().collect()

    def exposition(self) -> bytes:
        return generate_latest(self._source())
