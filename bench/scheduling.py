"""Heavy requests against the others: 12 MP batches, a slow ID, 4x overload."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.images import large_photo
from bench.service_load import plate_service, upstream, upstream_hits
from plate_service.config import LimitsConfig
from plate_service.recognition.image import decode_image
from plate_service.service import image_limits
from plate_service.recognition.loading import load_recognizer
from testkit.load import Connection, load

# Keep-alive connections the open-loop load opens before it starts.
_OPEN_CONNECTIONS = 200
PHOTOS = 8  # distinct 12 MP photos the fake upstream serves (by ID modulo this)
LIMITS = image_limits(LimitsConfig())
_ids = itertools.count(5_000_000)


def _peak_rss_mb(pid: int) -> float:
    """VmHWM (the peak resident memory) of one process, in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def _address(url: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 80


def _batch_body(count: int) -> bytes:
    return json.dumps({"image_ids": [next(_ids) for _ in range(count)]}).encode()


@dataclass(frozen=True)
class LargeBatch:
    """A 100-ID batch of 12 MP photos: the worker's peak memory and its throughput."""

    images_per_s: list[float]
    alone_images_per_s: list[float]
    peak_rss_mb: float
    start_rss_mb: float


def recognition_alone(models_dir: Path, photos: list[bytes], count: int) -> float:
    """Images/s of decode + recognise, one photo per call, on 2 threads (no HTTP)."""
    recognizer = load_recognizer(models_dir, threads=1)
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda i: recognizer.recognize(
            decode_image(photos[i % len(photos)], LIMITS), "auto"), range(count)))
        return count / (time.perf_counter() - started)


def large_batch(models_dir: Path, rounds: int = 3, batch: int = 100) -> LargeBatch:
    """One worker (``WORKERS=1``), default limits, POST /plates with 100 new IDs per round;
    recognition alone on the same photos and threads is measured between the rounds."""
    photos = [large_photo(seed) for seed in range(PHOTOS)]
    rates, alone = [], []
    with upstream(0, "--photos", str(PHOTOS)) as (provider, _), \
            plate_service(provider, models_dir, WORKERS="1") as (url, pid):
        start_rss = _peak_rss_mb(pid)

        async def one_batch() -> float:
            connection = Connection(*_address(url))
            try:
                started = time.perf_counter()
                status = await connection.request("POST", "/plates", _batch_body(batch))
                assert status == 200, status
                return batch / (time.perf_counter() - started)
            finally:
                connection.close()

        for _ in range(rounds):
            alone.append(recognition_alone(models_dir, photos, batch))
            rates.append(asyncio.run(one_batch()))
        peak = _peak_rss_mb(pid)
    return LargeBatch(rates, alone, peak, start_rss)


@dataclass(frozen=True)
class SlowIdIsolation:
    """GET /plate for a batch's fast ID while the batch waits on its slow one."""

    latencies_ms: list[float]
    batch_s: float


def slow_id_isolation(models_dir: Path, slow_ms: float = 10_000, probes: int = 20
                      ) -> SlowIdIsolation:
    """One worker: POST /plates [slow, 2..21]; after 1 s, GET each fast ID in turn."""
    slow_id = 1
    fast_ids = list(range(2, 2 + probes))
    with upstream(0, "--slow-id", str(slow_id), "--slow-ms", str(slow_ms)) as (provider, _), \
            plate_service(provider, models_dir, WORKERS="1") as (url, _):
        host, port = _address(url)

        async def scenario() -> tuple[list[float], float]:
            batch_connection, probe = Connection(host, port), Connection(host, port)
            body = json.dumps({"image_ids": [slow_id, *fast_ids]}).encode()
            started = time.perf_counter()
            batch = asyncio.create_task(batch_connection.request("POST", "/plates", body))
            await asyncio.sleep(1.0)
            latencies = []
            for image_id in fast_ids:
                sent = time.perf_counter()
                assert await probe.request("GET", f"/plate/{image_id}") == 200
                latencies.append((time.perf_counter() - sent) * 1000)
            assert not batch.done(), "the batch should still wait on its slow ID"
            assert await batch == 200
            batch_s = time.perf_counter() - started
            batch_connection.close()
            probe.close()
            return latencies, batch_s

        latencies, batch_s = asyncio.run(scenario())
    return SlowIdIsolation(latencies, batch_s)


@dataclass(frozen=True)
class LoadRun:
    """GET /plate for new IDs arriving at a fixed rate (open loop) for a fixed time."""

    offered_per_s: float
    accepted: int
    rejected: int
    accepted_p50_ms: float
    accepted_p99_ms: float
    upstream_hits: int
    seconds: float


async def _open_loop(url: str, rate: float, seconds: float) -> tuple[list[float], int]:
    """Send a request every 1/``rate`` s whatever the answers, each on an idle keep-alive
    connection (opened beforehand; a new one only when none is idle): the load does not
    ease when the service slows down, as with many independent clients."""
    host, port = _address(url)
    accepted: list[float] = []
    rejected = 0
    idle = [Connection(host, port) for _ in range(_OPEN_CONNECTIONS)]
    await asyncio.gather(*(connection.request("GET", "/health") for connection in idle))
    every_s = 1 / rate

    async def one(image_id: int) -> None:
        nonlocal rejected
        connection = idle.pop() if idle else Connection(host, port)
        started = time.perf_counter()
        status = await connection.request("GET", f"/plate/{image_id}")
        if status == 200:
            accepted.append((time.perf_counter() - started) * 1000)
        elif status == 503:
            rejected += 1
        else:
            raise RuntimeError(f"unexpected status {status}")
        idle.append(connection)

    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    for number in itertools.count():
        due = started + number * every_s
        if due > started + seconds:
            break
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(next(_ids))))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return accepted, rejected


def _load_run(url: str, provider: str, rate: float, seconds: float) -> LoadRun:
    hits_before = upstream_hits(provider)
    started = time.perf_counter()
    accepted, rejected = asyncio.run(_open_loop(url, rate, seconds))
    elapsed = time.perf_counter() - started
    accepted.sort()
    return LoadRun(rate, len(accepted), rejected, statistics.median(accepted),
                   accepted[min(len(accepted) - 1, int(len(accepted) * 0.99))],
                   upstream_hits(provider) - hits_before, elapsed)


def overload(models_dir: Path, pending: int = 16, latency_ms: float = 100,
             seconds: float = 10) -> tuple[float, LoadRun, LoadRun]:
    """One worker with ``MAX_PENDING_RECOGNITIONS=pending``; its capacity C (req/s) is
    what ``pending`` closed-loop clients get; then new requests arrive at C / 2 (the
    usual load) and at 4 C (4x overload). Returns C and the two runs."""
    with upstream(latency_ms) as (provider, _), plate_service(
            provider, models_dir, WORKERS="1", MAX_PENDING_RECOGNITIONS=str(pending),
            MAX_BATCH_SIZE=str(pending)) as (url, _):
        capacity = load(url, pending, int(pending * seconds * 5)).rps
        usual = _load_run(url, provider, capacity / 2, seconds)
        heavy = _load_run(url, provider, 4 * capacity, seconds)
    return capacity, usual, heavy
