"""Prometheus metrics of one app instance, on its own registry (no global state).

With several worker processes (``plate_service.workers``) prometheus_client keeps every
value in a file under ``PROMETHEUS_MULTIPROC_DIR``, and a scrape of any worker adds up
the files of all of them. That is why every value here is pushed by an event (a counter
incremented, a gauge set) rather than read by a callback at scrape time: a callback
could only see the worker that happens to answer the scrape.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from plate_service.errors import PlateServiceError
from plate_service.observability import MULTIPROCESS_DIR_ENV

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)


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
            "plate_recognition_duration_seconds", "Decode + recognition time of one image",
            buckets=LATENCY_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("plate_recognition_queue_depth",
                                 "Images accepted for recognition and not finished",
                                 multiprocess_mode="livesum", registry=self.registry)
        self.cache_lookups = Counter("plate_cache_lookups", "Result cache lookups by outcome",
                                     ["result"], registry=self.registry)
        # Labelled children are looked up once: the lookup costs more than the update,
        # and with several workers every update already writes a shared file.
        self._cache_children = (self.cache_lookups.labels("miss"),
                                self.cache_lookups.labels("hit"))
        self._download_children: dict[str, Counter] = {"ok": self.downloads.labels("ok")}
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def cache_lookup(self, hit: bool) -> None:
        self._cache_children[hit].inc()

    def recognition_queue_changed(self, depth: int) -> None:
        self.queue_depth.set(depth)

    def download_finished(self, seconds: float, error: PlateServiceError | None) -> None:
        self.download_seconds.observe(seconds)
        code = "ok" if error is None else self._error_code(error)
        child = self._download_children.get(code)
        if child is None:
            child = self._download_children[code] = self.downloads.labels(code)
        child.inc()

    def recognition_finished(self, seconds: float) -> None:
        self.recognition_seconds.observe(seconds)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:  # looking the labelled children up costs more than using them
            children = self._request_children[key] = (
                self.requests.labels(method, route, str(status)),
                self.request_seconds.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        """The exposition text: this process's registry, or all workers' files."""
        directory = os.environ.get(MULTIPROCESS_DIR_ENV)
        if not directory:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
