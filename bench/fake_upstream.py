"""``python -m bench.fake_upstream``: the cheapest possible image provider, for load tests.

The service, this provider and the load generator share the machine's cores during a
benchmark, so every microsecond the provider spends is taken from the service being
measured. ``demo_provider`` (a full aiohttp app) costs about 0.14 ms of CPU per image;
this raw asyncio protocol answers from prebuilt response bytes in a few microseconds.
It speaks just enough HTTP/1.1 for the service's client: keep-alive, ``GET
/images/{id}`` answered in order per connection after the configured latency (one ID
may be given its own, ``--slow-id``), ``GET /hits`` the number of image requests so
far, every other path 404. Every integer ID exists (ID modulo the number of images):
rendered plate crops, or with ``--photos N`` N generated 12 MP photos.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections import deque

from bench.images import large_photo, provider_crops

_REQUEST_LINE = re.compile(rb"GET /images/(\d+) HTTP/1\.[01]")
_HITS_LINE = re.compile(rb"GET /hits HTTP/1\.[01]")
_MAX_HEAD = 64 * 1024


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class _ProviderProtocol(asyncio.Protocol):
    """One client connection: split requests on the blank line, answer each in order."""

    hits = 0  # image requests served by every connection of this process

    def __init__(self, answers: list[bytes], not_found: bytes, latency_s: float,
                 slow: tuple[int, float] | None = None) -> None:
        self._answers = answers
        self._not_found = not_found
        self._latency_s = latency_s
        self._slow = slow
        self._buffer = b""
        self._queue: deque[tuple[float, bytes, bool]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        loop = asyncio.get_running_loop()
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head, self._buffer = self._buffer[:end], self._buffer[end + 4:]
            match = _REQUEST_LINE.match(head)
            latency = self._latency_s
            if match:
                image_id = int(match.group(1))
                _ProviderProtocol.hits += 1
                answer = self._answers[image_id % len(self._answers)]
                if self._slow is not None and image_id == self._slow[0]:
                    latency = self._slow[1]
            elif _HITS_LINE.match(head):
                latency = 0.0  # a question about the provider, not an image
                answer = _response("200 OK", str(_ProviderProtocol.hits).encode(),
                                   "text/plain")
            else:
                answer = self._not_found
            close = b"connection: close" in head.lower()
            self._queue.append((loop.time() + latency, answer, close))
        if len(self._buffer) > _MAX_HEAD and self._transport is not None:
            self._transport.close()
        self._flush()

    def _flush(self) -> None:
        """Send every answer that is due, in request order; wait for the next one."""
        self._timer = None
        loop = asyncio.get_running_loop()
        while self._queue and self._transport is not None:
            due, answer, close = self._queue[0]
            if due > loop.time():
                self._timer = loop.call_at(due, self._flush)
                return
            self._queue.popleft()
            self._transport.write(answer)
            if close:
                self._transport.close()


async def serve(host: str, port: int, latency_ms: float, photos: int = 0,
                slow: tuple[int, float] | None = None) -> None:
    """Serve until cancelled; ``slow`` is (image ID, its latency in ms)."""
    images = [large_photo(seed) for seed in range(photos)] if photos else provider_crops()
    answers = [_response("200 OK", data, "image/jpeg") for data in images]
    not_found = _response("404 Not Found", b"no such image", "text/plain")
    loop = asyncio.get_running_loop()
    slow_s = (slow[0], slow[1] / 1000) if slow else None
    server = await loop.create_server(
        lambda: _ProviderProtocol(answers, not_found, latency_ms / 1000, slow_s), host, port,
        backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_upstream",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--photos", type=int, default=0,
                        help="serve this many generated 12 MP photos instead of plate crops")
    parser.add_argument("--slow-id", type=int, help="an image ID answered after --slow-ms")
    parser.add_argument("--slow-ms", type=float, default=10_000.0)
    args = parser.parse_args(argv)
    slow = (args.slow_id, args.slow_ms) if args.slow_id is not None else None
    try:
        asyncio.run(serve(args.host, args.port, args.latency_ms, args.photos, slow))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
