"""Service configuration: environment variables parsed once at startup into frozen dataclasses."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from plate_service.errors import ConfigError

DEFAULT_IMAGE_PROVIDER_URL = "http://178.154.220.122:7777"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080
DEFAULT_CONNECT_TIMEOUT_S = 2.0
DEFAULT_TOTAL_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 2
DEFAULT_RETRY_BACKOFF_S = 0.1
DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_MAX_IMAGE_SIDE = 12_000
DEFAULT_MAX_BATCH_SIZE = 100
DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024
DEFAULT_DOWNLOAD_CONCURRENCY = 128
DEFAULT_WORKER_THREADS = 2
DEFAULT_ORT_THREADS = 1
DEFAULT_MAX_PENDING_RECOGNITIONS = 256
DEFAULT_MAX_IMAGE_ID = 2**53 - 1
DEFAULT_CACHE_MAX_ENTRIES = 4096
DEFAULT_CACHE_TTL_S = 300.0
DEFAULT_LOG_LEVEL = "INFO"
# Service processes sharing the port: "auto" = the CPU cores this process may use, up
# to MAX_WORKERS, whether WORKERS is unset or says so.
DEFAULT_WORKERS = "auto"
MAX_WORKERS = 64
DEFAULT_ALLOW_NO_DETECTOR = False
# With WORKERS > 1, a worker whose event loop does not check in for this long is hung:
# it is killed and replaced. Recognition runs on threads, so only a stuck loop trips it.
DEFAULT_WORKER_TIMEOUT_S = 60.0
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"

# The worst-case memory of one worker process (docs/configuration.md, "Memory"):
# BASE_WORKER_MB bounds a worker with its models loaded and warm (its RSS, measured below
# it, moves between runs with its share of library file pages); recognising one image
# peaks at about RECOGNITION_BYTES_PER_PIXEL bytes per pixel over that (the decoded BGR
# picture, its grey copy read whole, resize buffers); the gunicorn master of several
# workers holds MASTER_MB. `make bench` measures the first two (docs/benchmarks.md,
# sections 4 and 5).
BASE_WORKER_MB = 160
RECOGNITION_BYTES_PER_PIXEL = 6
MASTER_MB = 40

T = TypeVar("T")


@dataclass(frozen=True)
class UpstreamConfig:
    """How we talk to the image provider."""

    base_url: str = DEFAULT_IMAGE_PROVIDER_URL
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    total_timeout_s: float = DEFAULT_TOTAL_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    retry_backoff_s: float = DEFAULT_RETRY_BACKOFF_S
    concurrency: int = DEFAULT_DOWNLOAD_CONCURRENCY

    def image_url(self, image_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/images/{image_id}"


@dataclass(frozen=True)
class LimitsConfig:
    """Every limit that protects the service from a hostile or mistaken client."""

    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE
    max_image_id: int = DEFAULT_MAX_IMAGE_ID
    max_pending_recognitions: int = DEFAULT_MAX_PENDING_RECOGNITIONS


@dataclass(frozen=True)
class RecognitionConfig:
    """Where the models are and how many threads run them."""

    models_dir: Path = DEFAULT_MODELS_DIR
    worker_threads: int = DEFAULT_WORKER_THREADS
    ort_threads: int = DEFAULT_ORT_THREADS
    # Without the detector every image is read as a tight crop; car photos then find
    # nothing. Only a deliberate setting may start the service that way.
    allow_no_detector: bool = DEFAULT_ALLOW_NO_DETECTOR


@dataclass(frozen=True)
class CacheConfig:
    """Recent results by image ID; either value at 0 turns the cache off."""

    max_entries: int = DEFAULT_CACHE_MAX_ENTRIES
    ttl_s: float = DEFAULT_CACHE_TTL_S


@dataclass(frozen=True)
class Config:
    """The whole service configuration."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S
    log_level: str = DEFAULT_LOG_LEVEL
    upstream: UpstreamConfig = field(default_factory=UpstreamConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    recognition: RecognitionConfig = field(default_factory=RecognitionConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)

    @property
    def shutdown_timeout_s(self) -> float:
        """How long a graceful stop waits for in-flight requests: their full upstream
        deadline, plus time to recognise what they downloaded."""
        return self.upstream.total_timeout_s + 5


def worst_case_worker_bytes(config: Config) -> int:
    """Most memory one worker can hold, from the limits that bound it.

    At most DOWNLOAD_CONCURRENCY images are held as bytes (from the start of their
    download, or of their upload, to the end of their recognition), each at most
    MAX_IMAGE_BYTES; at most WORKER_THREADS of them are decoded at once, each at most
    MAX_IMAGE_PIXELS.
    """
    return (BASE_WORKER_MB * 2**20
            + config.upstream.concurrency * config.limits.max_image_bytes
            + config.recognition.worker_threads * RECOGNITION_BYTES_PER_PIXEL
            * config.limits.max_image_pixels)


def worst_case_service_bytes(config: Config) -> int:
    """Most memory the whole service holds: its workers, and their master if any."""
    master = MASTER_MB * 2**20 if config.workers > 1 else 0
    return master + config.workers * worst_case_worker_bytes(config)


def _read(
    environ: Mapping[str, str], name: str, parse: Callable[[str], T], default: T,
    check: Callable[[T], bool] = lambda _: True, expect: str = "a valid value",
) -> T:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = parse(raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not {expect}") from exc
    if not check(value):
        raise ConfigError(f"{name}={raw!r} is not {expect}")
    return value


def _positive(value: float) -> bool:
    return value > 0


def usable_cpus(cgroup_cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """CPU cores this process may use: its affinity mask, capped by a cgroup v2 CPU quota.

    A container limited with ``docker run --cpus 2`` on a 32-core host sees 32 cores in
    its affinity mask; the quota in ``cpu.max`` is what actually bounds it.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    try:
        quota, period = cgroup_cpu_max.read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def _parse_workers(raw: str) -> int:
    return min(usable_cpus(), MAX_WORKERS) if raw.lower() == "auto" else int(raw)


def _parse_bool(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


def _check_consistent(limits: LimitsConfig) -> None:
    """Refuse limits that contradict each other instead of failing every large request."""
    if limits.max_batch_size > limits.max_pending_recognitions:
        raise ConfigError(
            f"MAX_BATCH_SIZE={limits.max_batch_size} exceeds MAX_PENDING_RECOGNITIONS="
            f"{limits.max_pending_recognitions}: a full batch could never be admitted; "
            "lower MAX_BATCH_SIZE or raise MAX_PENDING_RECOGNITIONS")


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from environment variables; a bad value names its variable."""
    env = os.environ if environ is None else environ
    max_image_bytes = _read(env, "MAX_IMAGE_BYTES", int, DEFAULT_MAX_IMAGE_BYTES, _positive,
                            "a positive integer")
    base_url = _read(env, "IMAGE_PROVIDER_URL", str, DEFAULT_IMAGE_PROVIDER_URL,
                     lambda v: v.startswith(("http://", "https://")), "an http(s) URL")
    upstream = UpstreamConfig(
        base_url=base_url,
        connect_timeout_s=_read(env, "UPSTREAM_CONNECT_TIMEOUT", float,
                                DEFAULT_CONNECT_TIMEOUT_S, _positive, "a positive number"),
        total_timeout_s=_read(env, "UPSTREAM_TIMEOUT", float, DEFAULT_TOTAL_TIMEOUT_S,
                              _positive, "a positive number"),
        retries=_read(env, "UPSTREAM_RETRIES", int, DEFAULT_RETRIES, lambda v: 0 <= v <= 10,
                      "an integer from 0 to 10"),
        retry_backoff_s=_read(env, "UPSTREAM_RETRY_BACKOFF", float, DEFAULT_RETRY_BACKOFF_S,
                              lambda v: v >= 0, "a non-negative number"),
        concurrency=_read(env, "DOWNLOAD_CONCURRENCY", int, DEFAULT_DOWNLOAD_CONCURRENCY,
                          _positive, "a positive integer"),
    )
    limits = LimitsConfig(
        max_batch_size=_read(env, "MAX_BATCH_SIZE", int, DEFAULT_MAX_BATCH_SIZE, _positive,
                             "a positive integer"),
        max_request_bytes=_read(env, "MAX_REQUEST_BYTES", int, DEFAULT_MAX_REQUEST_BYTES,
                                _positive, "a positive integer"),
        max_image_bytes=max_image_bytes,
        max_image_pixels=_read(env, "MAX_IMAGE_PIXELS", int, DEFAULT_MAX_IMAGE_PIXELS,
                               _positive, "a positive integer"),
        max_image_side=_read(env, "MAX_IMAGE_SIDE", int, DEFAULT_MAX_IMAGE_SIDE, _positive,
                             "a positive integer"),
        max_pending_recognitions=_read(env, "MAX_PENDING_RECOGNITIONS", int,
                                       DEFAULT_MAX_PENDING_RECOGNITIONS, _positive,
                                       "a positive integer"),
    )
    recognition = RecognitionConfig(
        models_dir=_read(env, "MODELS_DIR", Path, DEFAULT_MODELS_DIR),
        worker_threads=_read(env, "WORKER_THREADS", int, DEFAULT_WORKER_THREADS, _positive,
                             "a positive integer"),
        ort_threads=_read(env, "ORT_THREADS", int, DEFAULT_ORT_THREADS, _positive,
                          "a positive integer"),
        allow_no_detector=_read(env, "ALLOW_NO_DETECTOR", _parse_bool,
                                DEFAULT_ALLOW_NO_DETECTOR, expect="true or false"),
    )
    _check_consistent(limits)
    return Config(
        host=_read(env, "HOST", str, DEFAULT_HOST),
        port=_read(env, "PORT", int, DEFAULT_PORT, lambda v: 0 < v < 65536,
                   "a TCP port (1-65535)"),
        workers=_read(env, "WORKERS", _parse_workers, _parse_workers(DEFAULT_WORKERS),
                      lambda v: 1 <= v <= MAX_WORKERS,
                      f"'auto' or an integer from 1 to {MAX_WORKERS}"),
        worker_timeout_s=_read(env, "WORKER_TIMEOUT", float, DEFAULT_WORKER_TIMEOUT_S,
                               _positive, "a positive number"),
        log_level=_read(env, "LOG_LEVEL", str.upper, DEFAULT_LOG_LEVEL,
                        lambda v: v in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"},
                        "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        upstream=upstream,
        limits=limits,
        recognition=recognition,
        cache=CacheConfig(
            max_entries=_read(env, "CACHE_MAX_ENTRIES", int, DEFAULT_CACHE_MAX_ENTRIES,
                              lambda v: v >= 0, "a non-negative integer"),
            ttl_s=_read(env, "CACHE_TTL", float, DEFAULT_CACHE_TTL_S, lambda v: v >= 0,
                        "a non-negative number"),
        ),
    )
