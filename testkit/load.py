"""The load generator: raw keep-alive HTTP/1.1 connections, a fresh image ID per request."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass

_ids = itertools.count(1_000_000)


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


class Connection:
    """One keep-alive HTTP/1.1 connection to the service, driven by hand.

    The load generator shares the cores with the service it measures; a raw stream costs
    a fraction of aiohttp's client per request (the figures in the report say how much).
    """

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        """Send one request, read the whole answer, return its status."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode("ascii") + b"\r\n" + body)
        lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        version, status_code = lines[0].split(b" ", 2)[:2]
        status = int(status_code)
        # HTTP/1.0 servers (the naive baseline) close after every answer unless asked not to.
        length, close = None, version == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() != b"keep-alive"
        if length is None:
            raise RuntimeError(f"{method} {path}: answer without Content-Length")
        await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def run_load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    """``total`` requests over ``concurrency`` connections: ``GET /plate/{id}``, or with
    ``batch`` ``POST /plates`` of that many IDs; every ID new, so no cache answers."""
    parsed = urllib.parse.urlsplit(base_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = []
    errors = 0
    remaining = itertools.count()

    async def worker() -> None:
        nonlocal errors
        connection = Connection(host, port)
        try:
            while next(remaining) < total:
                started = time.perf_counter()
                if batch:
                    ids = [next(_ids) for _ in range(batch)]
                    body = json.dumps({"image_ids": ids}).encode()
                    status = await connection.request("POST", "/plates", body)
                else:
                    status = await connection.request("GET", f"/plate/{next(_ids)}")
                errors += status != 200
                latencies.append((time.perf_counter() - started) * 1000)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return LoadResult(len(latencies), seconds, latencies[len(latencies) // 2],
                      latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], errors)


def load(base_url: str, concurrency: int, total: int, batch: int = 0) -> LoadResult:
    """``run_load`` on an event loop of its own, for callers outside one."""
    return asyncio.run(run_load(base_url, concurrency, total, batch))
