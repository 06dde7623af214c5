"""The service end to end under load, against a local fake upstream with set latency."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

_ids = itertools.count(1_000_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def process(args: list[str], env: dict[str, str], ready_url: str) -> Iterator[int]:
    """Start a Python module in a subprocess, wait until ``ready_url`` answers 200."""
    proc = subprocess.Popen([sys.executable, "-m", *args], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited: {proc.stderr.read().decode()[-2000:]}"
                                   if proc.stderr else f"{args[0]} exited")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{args[0]} did not become ready")
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def upstream(latency_ms: float) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process(["demo_provider", "--cycle", "--host", "127.0.0.1", "--port", str(port),
                  "--latency-ms", str(latency_ms)], {}, f"{url}/images/1"):
        yield url


@contextmanager
def plate_service(provider_url: str, models_dir: Path, **env: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {"PORT": str(port), "HOST": "127.0.0.1", "IMAGE_PROVIDER_URL": provider_url,
                   "MODELS_DIR": str(models_dir), "LOG_LEVEL": "WARNING", **env}
    with process(["plate_service"], environment, f"{url}/ready") as pid:
        yield url, pid


@contextmanager
def naive_service(provider_url: str, models_dir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process(["bench.naive_baseline", "--port", str(port), "--provider", provider_url,
                  "--models-dir", str(models_dir)], {}, f"{url}/health"):
        yield url


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    remaining = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def worker() -> None:
            nonlocal errors
            while next(remaining) < total:
                started = time.perf_counter()
                if batch:
                    ids = [next(_ids) for _ in range(batch)]
                    call = session.post(f"{base_url}/plates", json={"image_ids": ids})
                else:
                    call = session.get(f"{base_url}/plate/{next(_ids)}")
                async with call as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    latencies.sort()
    return LoadResult(len(latencies), seconds, latencies[len(latencies) // 2],
                      latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], errors)


def load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    return asyncio.run(_load(base_url, concurrency, total, batch))
