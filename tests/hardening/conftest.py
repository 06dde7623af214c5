"""Fault-injection rig: the fake image provider, scripted to misbehave, and the service
wired to it (testkit/fake_provider.py writes the raw HTTP/1.1 that aiohttp never would)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config, LimitsConfig, UpstreamConfig
from testkit.fake_provider import Answer, FakeProvider
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


def flood(total: int, *, chunked: bool) -> Answer:
    """``total`` bytes of JPEG-looking body in 64 KiB pieces, never held whole."""
    piece = b"\xff\xd8\xff\xe0" + b"\0" * (64 * 1024 - 4)
    assert total % len(piece) == 0
    return Answer(piece, repeat=total // len(piece), chunked=chunked)


@pytest.fixture
async def upstream() -> AsyncIterator[FakeProvider]:
    """The provider a test scripts; an ID without a script is a plate-like JPEG."""
    async with FakeProvider(Answer(plate_like_jpeg())) as provider:
        yield provider


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
    aiohttp_client: Callable[..., Awaitable[TestClient]], upstream: FakeProvider,
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
