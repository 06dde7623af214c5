"""Prometheus metrics of one app instance, on its own registry (no global state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from plate_service.errors import PlateServiceError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class _CacheCollector(Collector):
    def __init__(self, read: Callable[[], tuple[int, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[CounterMetricFamily]:
        hits, misses = self._read()
        family = CounterMetricFamily("plate_cache_lookups", "Result cache lookups by outcome",
                                     labels=["result"])
        family.add_metric(["hit"], hits)
        family.add_metric(["miss"], misses)
        yield family


class Metrics:
    """The service's metrics; also the service's observer of downloads and recognitions."""

    def __init__(self, error_code: Callable[[PlateServiceError], str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._error_code = error_code
        self.requests = Counter("plate_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.request_seconds = Histogram(
            "plate_http_request_duration_seconds", "HTTP request latency by route",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.download_seconds = Histogram(
            "plate_upstream_download_duration_seconds", "Image download latency",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.downloads = Counter("plate_upstream_downloads", "Image downloads by outcome code",
                                 ["code"], registry=self.registry)
        self.recognition_seconds = Histogram(
            "plate_recognition_duration_seconds", "Decode + recognition time of one batch",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.recognition_batch = Histogram(
            "plate_recognition_batch_size", "Images per recognition batch",
            buckets=BATCH_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("plate_recognition_queue_depth",
                                 "Images accepted for recognition and not finished",
                                 registry=self.registry)

    def watch_queue(self, read_depth: Callable[[], int]) -> None:
        self.queue_depth.set_function(lambda: float(read_depth()))

    def watch_cache(self, read_counts: Callable[[], tuple[int, int]]) -> None:
        self.registry.register(_CacheCollector(read_counts))

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None:
        self.download_seconds.observe(seconds)
        self.downloads.labels("ok" if error is None else self._error_code(error)).inc()

    def recognition_finished(self, seconds: float, images: int) -> None:
        self.recognition_seconds.observe(seconds)
        self.recognition_batch.observe(images)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
