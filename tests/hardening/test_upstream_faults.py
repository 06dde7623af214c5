"""Fault injection on the upstream side: each misbehaviour maps to the error table of docs/api.md,
in bounded time, while the service keeps answering other requests."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from testkit.fake_provider import Answer, FakeProvider, Fault
from tests.fakes import encode, plate_like_jpeg
from tests.hardening.conftest import (
    CONNECT_TIMEOUT_S,
    DEADLINE_BOUND_S,
    FAST_S,
    MAX_IMAGE_BYTES,
    UPSTREAM_TIMEOUT_S,
    ServiceFactory,
    error_of,
    flood,
    sof_jpeg,
    stopwatch,
)

JPEG = plate_like_jpeg()
FIFTY_MB = 50 * 1024 * 1024


def truncated_photo_with_thumbnail() -> bytes:
    """A camera-style JPEG cut mid-scan whose EXIF thumbnail still holds an EOI marker."""
    import struct

    thumbnail = sof_jpeg(16, 16)
    exif = b"Exif\0\0" + thumbnail  # enough of APP1 to carry the embedded JPEG
    app1 = struct.pack(">BBH", 0xFF, 0xE1, len(exif) + 2) + exif
    photo = plate_like_jpeg(520, 112)
    whole = photo[:2] + app1 + photo[2:]
    return whole[: len(whole) * 2 // 3]


async def assert_still_serving(
    service: TestClient, pending: asyncio.Future[ClientResponse]
) -> None:
    """/health and a good image answer quickly while ``pending`` is stuck upstream."""
    with stopwatch() as elapsed:
        health = await service.get("/health")
        good = await service.get("/plate/1")
    assert health.status == 200
    assert good.status == 200
    assert (await good.json())["plate"] == "С181МВ190"
    assert elapsed[0] < FAST_S
    assert not pending.done(), "the stuck request should still be waiting upstream"


async def test_refused_connection_is_502_provider_unavailable(
    make_service: ServiceFactory, unused_tcp_port: int
) -> None:
    service = await make_service(base_url=f"http://127.0.0.1:{unused_tcp_port}")
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (502, "provider_unavailable")
    assert elapsed[0] < FAST_S


async def test_provider_that_never_completes_the_handshake_is_504_within_connect_timeout(
    make_service: ServiceFactory,
) -> None:
    # A listening socket whose accept queue is full: the kernel drops further SYNs, so
    # connecting hangs like it does to a black-holed host.
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        service = await make_service(base_url=f"http://127.0.0.1:{port}")
        with stopwatch() as elapsed:
            response = await service.get("/plate/7")
        assert await error_of(response) == (504, "provider_timeout")
        assert CONNECT_TIMEOUT_S * 0.9 < elapsed[0] < CONNECT_TIMEOUT_S + FAST_S
    finally:
        for sock in [listener, *fillers]:
            sock.close()


@pytest.mark.parametrize("answer", [
    pytest.param(Answer(fault=Fault.HANG), id="never-answers"),
    pytest.param(Answer(JPEG, drip_s=0.05), id="trickles-past-the-deadline"),
])
async def test_stuck_provider_is_504_provider_timeout_without_blocking_others(
    service: TestClient, upstream: FakeProvider, answer: Answer
) -> None:
    assert len(JPEG) * 0.05 > 3 * UPSTREAM_TIMEOUT_S  # the trickle really outlasts it
    upstream.script(7, answer)
    with stopwatch() as elapsed:
        stuck = asyncio.ensure_future(service.get("/plate/7"))
        await asyncio.sleep(0.2)
        await assert_still_serving(service, stuck)
        response = await stuck
    assert await error_of(response) == (504, "provider_timeout")
    assert UPSTREAM_TIMEOUT_S * 0.9 < elapsed[0] < DEADLINE_BOUND_S
    assert upstream.hits[7] == 1, "a timeout spends the whole deadline: nothing to retry"


@pytest.mark.parametrize("answer", [
    pytest.param(Answer(JPEG[:300], declared_length=len(JPEG)), id="closed-mid-body"),
    pytest.param(Answer(fault=Fault.CLOSE), id="closed-before-answering"),
    pytest.param(Answer(fault=Fault.RESET), id="reset"),
])
async def test_broken_connection_is_502_provider_unavailable_after_a_retry(
    service: TestClient, upstream: FakeProvider, answer: Answer
) -> None:
    upstream.script(7, answer)
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (502, "provider_unavailable")
    assert elapsed[0] < FAST_S
    # First attempt + UPSTREAM_RETRIES=1; aiohttp itself resends an idempotent request
    # once when the connection drops before any answer, so each attempt may be two.
    assert 2 <= upstream.hits[7] <= 4


async def test_broken_connection_then_recovery_is_200(
    service: TestClient, upstream: FakeProvider
) -> None:
    upstream.script(7, Answer(JPEG[:300], declared_length=len(JPEG)), Answer(JPEG))
    response = await service.get("/plate/7")
    assert response.status == 200
    assert upstream.hits[7] == 2


@pytest.mark.parametrize(("status", "hits"), [(500, 1), (429, 1), (418, 1), (502, 2), (503, 2),
                                              (504, 2)])
async def test_bad_status_is_502_provider_error_and_only_502_503_504_retry(
    service: TestClient, upstream: FakeProvider, status: int, hits: int
) -> None:
    upstream.script(7, Answer(b"<h1>nope</h1>", status=status, content_type="text/html"))
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (502, "provider_error")
    body = await response.json()
    assert body["error"]["upstream_status"] == status
    assert upstream.hits[7] == hits
    assert elapsed[0] < FAST_S


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_transient_status_then_recovery_is_200(
    service: TestClient, upstream: FakeProvider, status: int
) -> None:
    upstream.script(7, Answer(b"busy", status=status, content_type="text/plain"), Answer(JPEG))
    response = await service.get("/plate/7")
    assert response.status == 200
    assert (await response.json())["plate"] == "С181МВ190"
    assert upstream.hits[7] == 2


async def test_not_http_at_all_is_502(service: TestClient, upstream: FakeProvider) -> None:
    upstream.script(7, Answer(b"SSH-2.0-OpenSSH_9.6\r\n" + b"\x00\xff" * 100, fault=Fault.RAW))
    response = await service.get("/plate/7")
    status, code = await error_of(response)
    assert status == 502
    assert code in {"provider_error", "provider_unavailable"}


async def test_redirect_loop_is_502_provider_error(
    service: TestClient, upstream: FakeProvider
) -> None:
    upstream.script(7, Answer(status=302, content_type=None,
                              headers={"Location": "/images/7"}))
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (502, "provider_error")
    assert elapsed[0] < DEADLINE_BOUND_S


@pytest.mark.parametrize("answer", [
    pytest.param(Answer(b"<!DOCTYPE html><html><body>Cloudflare says hi</body></html>",
                        content_type="text/html"), id="html"),
    pytest.param(Answer(b""), id="empty"),
    pytest.param(Answer(b"", chunked=True), id="empty-chunked"),
    pytest.param(Answer(JPEG[: len(JPEG) // 2], chunked=True), id="truncated-jpeg-chunked"),
    pytest.param(Answer(JPEG[:20]), id="truncated-jpeg-in-header"),
    pytest.param(Answer(b"\xff\xd8\xff" + b"\x00" * 5000), id="jpeg-magic-then-zeros"),
    pytest.param(Answer(b"\x89PNG\r\n\x1a\n" + b"\0" * 10), id="png-magic-only"),
    pytest.param(Answer(truncated_photo_with_thumbnail()), id="truncated-jpeg-with-thumbnail"),
])
async def test_undecodable_body_is_422_invalid_image(
    service: TestClient, upstream: FakeProvider, answer: Answer
) -> None:
    upstream.script(7, answer)
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert response.status != 200, "an undecodable body was read as an image"
    assert await error_of(response) == (422, "invalid_image")
    assert elapsed[0] < FAST_S


async def test_truncated_jpeg_is_refused_before_decoding_despite_a_thumbnail_eoi(
    service: TestClient, upstream: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenCV 4.x turns a truncated JPEG into a half-grey picture; the service must not
    # rely on the decoder, and the EXIF thumbnail's own EOI must not pass for the image's.
    import plate_service.recognition.image as image_module

    def no_decoding(*args: object) -> None:
        raise AssertionError("a truncated JPEG reached the decoder")

    monkeypatch.setattr(image_module.cv2, "imdecode", no_decoding)
    upstream.script(7, Answer(truncated_photo_with_thumbnail()))
    response = await service.get("/plate/7")
    assert await error_of(response) == (422, "invalid_image")
    assert "truncated" in (await response.json())["error"]["message"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_fifty_megabyte_body_is_422_image_too_large_without_reading_it(
    service: TestClient, upstream: FakeProvider, chunked: bool
) -> None:
    upstream.script(7, flood(FIFTY_MB, chunked=chunked))
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (422, "image_too_large")
    assert elapsed[0] < 2 * FAST_S
    await asyncio.sleep(0.05)  # let the provider notice the hang-up and count its bytes
    # The client stops at the 1 MB cap and hangs up; what the provider managed to push
    # is that plus socket buffers, far from the 50 MB a read-everything client takes.
    assert upstream.sent[7] < FIFTY_MB // 2
    assert upstream.hits[7] == 1, "too large is final, never retried"


async def test_gzip_bomb_is_422_image_too_large(
    service: TestClient, upstream: FakeProvider
) -> None:
    bomb = gzip.compress(b"\xff\xd8\xff\xe0" + b"\0" * FIFTY_MB, compresslevel=9)
    assert len(bomb) < 100_000
    upstream.script(7, Answer(bomb, headers={"Content-Encoding": "gzip"}))
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (422, "image_too_large")
    assert elapsed[0] < 2 * FAST_S
    assert upstream.hits[7] == 1


@pytest.mark.parametrize(("encoding", "body", "expected"), [
    ("gzip", gzip.compress(JPEG), (200, None)),
    ("deflate", zlib.compress(JPEG), (200, None)),
    ("gzip", JPEG, (502, "provider_error")),
    ("br", JPEG, (502, "provider_error")),
])
async def test_content_encoding_is_inflated_under_the_cap_or_refused(
    service: TestClient, upstream: FakeProvider, encoding: str, body: bytes,
    expected: tuple[int, str | None],
) -> None:
    upstream.script(7, Answer(body, headers={"Content-Encoding": encoding}))
    response = await service.get("/plate/7")
    if expected[0] == 200:
        assert response.status == 200
    else:
        assert await error_of(response) == expected
    assert upstream.hits[7] == 1


@pytest.mark.parametrize(("data", "what"), [
    (sof_jpeg(30_000, 30_000), "baseline-30000x30000"),
    (sof_jpeg(30_000, 30_000, progressive=True), "progressive-30000x30000"),
    (sof_jpeg(65_535, 65_535), "baseline-65535x65535"),
    (sof_jpeg(11_000, 11_000), "under-side-limit-over-pixel-limit"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + (30_000).to_bytes(4, "big") * 2
     + b"\x08\x02\0\0\0" + b"\0" * 4, "png-30000x30000"),
])
async def test_decompression_bomb_is_422_image_too_large_without_decoding(
    service: TestClient, upstream: FakeProvider, data: bytes, what: str
) -> None:
    assert len(data) < 1000, what
    upstream.script(7, Answer(data))
    with stopwatch() as elapsed:
        response = await service.get("/plate/7")
    assert await error_of(response) == (422, "image_too_large")
    # Decoding 900 Mpx would take seconds and gigabytes; refusing on the header is instant.
    assert elapsed[0] < FAST_S


async def test_the_bomb_header_is_a_real_jpeg() -> None:
    """The crafted bytes are a valid JPEG: at a small size OpenCV decodes them."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(sof_jpeg(48, 32), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (32, 48, 3)


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream",
                                          "text/html; charset=utf-8", None])
async def test_wrong_content_type_with_a_valid_image_is_200(
    service: TestClient, upstream: FakeProvider, content_type: str | None
) -> None:
    upstream.script(7, Answer(JPEG, content_type=content_type))
    response = await service.get("/plate/7")
    assert response.status == 200
    assert (await response.json())["plate"] == "С181МВ190"


async def test_png_served_as_jpeg_is_200(service: TestClient,
                                         upstream: FakeProvider) -> None:
    import numpy as np

    upstream.script(7, Answer(encode(np.full((40, 120), 200, np.uint8), ".png")))
    response = await service.get("/plate/7")
    assert response.status == 200


async def test_max_image_bytes_is_the_exact_boundary(
    service: TestClient, upstream: FakeProvider
) -> None:
    padded = JPEG[:-2] + b"\0" * (MAX_IMAGE_BYTES - len(JPEG)) + JPEG[-2:]
    assert len(padded) == MAX_IMAGE_BYTES
    upstream.script(7, Answer(padded))
    upstream.script(8, Answer(padded + b"\0"))
    at_limit = await service.get("/plate/7")
    assert at_limit.status == 200  # the padding before the end marker leaves it readable
    assert await error_of(await service.get("/plate/8")) == (422, "image_too_large")
