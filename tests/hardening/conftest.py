"""Fault-injection rig: a scripted raw-socket image provider and the service wired to it.

aiohttp's test server only produces well-formed HTTP, so the provider here speaks
HTTP/1.1 by hand over ``asyncio.start_server``: each image ID has a script of
behaviours (answer, hang, trickle, cut off, reset...) played one per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config, LimitsConfig, UpstreamConfig
from tests.fakes import FakeReader, fake_recognizer, plate_like_jpeg

# Short enough to keep the suite fast, long enough that a loaded 2-core machine still
# answers a healthy request well inside it.
UPSTREAM_TIMEOUT_S = 1.5
CONNECT_TIMEOUT_S = 0.5
MAX_IMAGE_BYTES = 1_000_000
MAX_REQUEST_BYTES = 100_000
# Upper bound for anything that must not wait on the upstream deadline at all.
FAST_S = 1.0
# Upper bound for anything that ends with the upstream deadline (deadline + slack).
DEADLINE_BOUND_S = UPSTREAM_TIMEOUT_S + 2.0


@dataclass
class Exchange:
    """What one behaviour gets: the connection, and a counter of body bytes it sent."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sent: int = 0

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()
        self.sent += len(data)


Behaviour = Callable[[Exchange], Awaitable[None]]


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Scripted", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(body: bytes = b"", status: int = 200, content_type: str | None = "image/jpeg",
           *, chunked: bool = False, headers: dict[str, str] | None = None) -> Behaviour:
    """A complete, well-formed answer (Content-Length, or chunked in 4 KiB pieces)."""
    extra = dict(headers or {})
    if content_type is not None:
        extra["Content-Type"] = content_type

    async def play(ex: Exchange) -> None:
        if not chunked:
            await ex.send(_head(status, {**extra, "Content-Length": str(len(body))}) + body)
            return
        await ex.send(_head(status, {**extra, "Transfer-Encoding": "chunked"}))
        for start in range(0, len(body), 4096):
            piece = body[start:start + 4096]
            await ex.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        await ex.send(b"0\r\n\r\n")

    return play


def hang() -> Behaviour:
    """Accept the connection and read the request, then never answer."""

    async def play(ex: Exchange) -> None:
        await asyncio.Event().wait()

    return play


def trickle(body: bytes, every_s: float = 0.1) -> Behaviour:
    """Headers at once (honest Content-Length), then one body byte per ``every_s``."""

    async def play(ex: Exchange) -> None:
        await ex.send(_head(200, {"Content-Type": "image/jpeg",
                                  "Content-Length": str(len(body))}))
        for offset in range(len(body)):
            await ex.send(body[offset:offset + 1])
            await asyncio.sleep(every_s)

    return play


def cut_off(body: bytes, declared: int) -> Behaviour:
    """Promise ``declared`` bytes, send ``body`` (fewer), then close the connection."""

    async def play(ex: Exchange) -> None:
        await ex.send(_head(200, {"Content-Type": "image/jpeg",
                                  "Content-Length": str(declared)}) + body)

    return play


def flood(total: int, *, chunked: bool, piece: int = 64 * 1024) -> Behaviour:
    """``total`` bytes of JPEG-looking body, generated as it goes (never held whole)."""
    block = b"\xff\xd8\xff\xe0" + b"\0" * (piece - 4)

    async def play(ex: Exchange) -> None:
        headers = {"Content-Type": "image/jpeg"}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(total)
        await ex.send(_head(200, headers))
        left = total
        while left > 0:
            data = block[:min(piece, left)]
            await ex.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            left -= len(data)
        if chunked:
            await ex.send(b"0\r\n\r\n")

    return play


def close_at_once() -> Behaviour:
    """Read the request and close without a byte of answer."""

    async def play(ex: Exchange) -> None:
        return None

    return play


def reset() -> Behaviour:
    """Read the request and abort the connection with a TCP RST."""

    async def play(ex: Exchange) -> None:
        sock = ex.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ex.writer.transport.abort()

    return play


def raw(data: bytes) -> Behaviour:
    """Send exactly ``data`` (e.g. not HTTP at all) and close."""

    async def play(ex: Exchange) -> None:
        await ex.send(data)

    return play


@dataclass
class ScriptedProvider:
    """HTTP/1.1 image provider on loopback; ``script(id, *behaviours)`` decides answers.

    Behaviours for an ID are played one per request, the last one repeating; an ID
    without a script gets a plate-like JPEG. ``hits`` counts requests per ID and
    ``sent`` the bytes written per ID, so a test can tell how much a client read.
    """

    scripts: dict[int, list[Behaviour]] = field(default_factory=dict)
    hits: Counter[int] = field(default_factory=Counter)
    sent: Counter[int] = field(default_factory=Counter)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def script(self, image_id: int, *behaviours: Behaviour) -> None:
        self.scripts[image_id] = list(behaviours)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        ex = Exchange(reader, writer)
        image_id = -1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("latin-1")
            image_id = int(path.rsplit("/", 1)[-1])
            self.hits[image_id] += 1
            behaviours = self.scripts.get(image_id) or [answer(plate_like_jpeg())]
            behaviour = behaviours.pop(0) if len(behaviours) > 1 else behaviours[0]
            await behaviour(ex)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up first: exactly what several tests provoke
        finally:
            self.sent[image_id] += ex.sent
            writer.close()
            self._tasks.discard(task)


@pytest.fixture
async def upstream() -> AsyncIterator[ScriptedProvider]:
    provider = ScriptedProvider()
    await provider.start()
    yield provider
    await provider.close()


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


ServiceFactory = Callable[..., Awaitable[TestClient]]


def rig_config(base_url: str, **limits: int) -> Config:
    return Config(
        upstream=UpstreamConfig(base_url=base_url, total_timeout_s=UPSTREAM_TIMEOUT_S,
                                connect_timeout_s=CONNECT_TIMEOUT_S, retries=1,
                                retry_backoff_s=0.01),
        limits=replace(LimitsConfig(max_image_bytes=MAX_IMAGE_BYTES,
                                    max_request_bytes=MAX_REQUEST_BYTES), **limits),
    )


@pytest.fixture
def make_service(
    aiohttp_client: Callable[..., Awaitable[TestClient]], upstream: ScriptedProvider,
    reader: FakeReader,
) -> ServiceFactory:
    """The real app (fake models) talking to ``upstream``, or to ``base_url`` if given."""

    async def make(base_url: str | None = None, **limits: int) -> TestClient:
        config = rig_config(base_url or upstream.url, **limits)
        app: web.Application = create_app(
            config, recognizer_factory=lambda _: fake_recognizer(reader))
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def service(make_service: ServiceFactory) -> TestClient:
    return await make_service()


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as elapsed:`` ... then ``elapsed[0]`` is wall seconds."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    box: list[float] = []
    try:
        yield box
    finally:
        box.append(loop.time() - started)


async def error_of(response: object) -> tuple[int, str]:
    """(HTTP status, error code) of a service answer; asserts the JSON error shape."""
    from aiohttp import ClientResponse

    assert isinstance(response, ClientResponse)
    body = await response.json()
    error = body["error"]
    assert error["http_status"] == response.status
    assert error["message"]
    return response.status, error["code"]


def sof_jpeg(width: int, height: int, *, progressive: bool = False) -> bytes:
    """A structurally valid greyscale JPEG whose header declares ``width`` x ``height``.

    Built by hand (one-code Huffman tables, every block "DC diff 0, EOB"), so a 30000 px
    bomb costs a hundred bytes; small sizes decode for real, which proves the layout.
    """
    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    dqt = segment(0xDB, b"\0" + b"\x01" * 64)
    sof = segment(0xC2 if progressive else 0xC0,
                  struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = b"\x01" + b"\0" * 15 + b"\0"  # a single 1-bit code for symbol 0
    dht = segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    scan = b"\0" * min((2 * blocks + 7) // 8, 64)  # bomb: a token scan, never decoded
    return b"\xff\xd8" + jfif + dqt + sof + dht + sos + scan + b"\xff\xd9"
