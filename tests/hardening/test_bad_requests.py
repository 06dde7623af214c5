"""Hostile and mistaken clients: every malformed request gets its documented 4xx, never a
500, and a concurrent burst of every fault (upstream and client side) gives zero 500s."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import random
from collections.abc import AsyncIterator, Awaitable

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from yarl import URL

from testkit.fake_provider import Answer, FakeProvider, Fault
from tests.fakes import plate_like_jpeg
from tests.hardening.conftest import (
    DEADLINE_BOUND_S,
    FAST_S,
    MAX_IMAGE_BYTES,
    MAX_REQUEST_BYTES,
    ServiceFactory,
    error_of,
    flood,
    sof_jpeg,
    stopwatch,
)

MAX_IMAGE_ID = 2**53 - 1
JPEG = plate_like_jpeg()


def raw_path(path: str) -> URL:
    """A URL sent byte for byte as written (no normalisation of ``..`` or escapes)."""
    return URL(path, encoded=True)


async def body_chunks(total: int, piece: int = 16 * 1024) -> AsyncIterator[bytes]:
    """A request body without Content-Length (chunked), generated as it is sent."""
    yield b'{"image_ids": ['
    sent = 0
    while sent < total:
        yield b"1," * (piece // 2)
        sent += piece
    yield b"1]}"


# --- GET /plate/{image_id} --------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/plate/..%2F..", "/plate/..%2F..%2Fetc%2Fpasswd", "/plate/%2e%2e", "/plate/%00",
    "/plate/1%00", "/plate/%F0%9F%92%A9", "/plate/%F0%9F%92%A91",
    "/plate/%D9%A3", "/plate/%E2%80%AE123", "/plate/%ED%A0%80", "/plate/%FF%FE",
    "/plate/1%20", "/plate/%201", "/plate/+1", "/plate/0x10", "/plate/1e3", "/plate/1_000",
    "/plate/-0", "/plate/-5", f"/plate/{MAX_IMAGE_ID + 1}", "/plate/" + "9" * 30,
    "/plate/" + "1" * 5000, "/plate/%25", "/plate/%", "/plate/%zz",
])
async def test_junk_image_ids_are_400_invalid_image_id(
    service: TestClient, upstream: FakeProvider, path: str
) -> None:
    response = await service.get(raw_path(path))
    assert await error_of(response) == (400, "invalid_image_id")
    assert not upstream.hits, "a bad ID must never reach the provider"


@pytest.mark.parametrize("path", [
    # "/plate/../.." would normalise to "/", the try-it page.
    "/plate/../../etc", "/plate/", "/plate", "/plate/1/2", "/plate//1", "/plate/1%2F2/3",
])
async def test_paths_outside_the_route_are_404_not_found(
    service: TestClient, upstream: FakeProvider, path: str
) -> None:
    response = await service.get(raw_path(path))
    assert await error_of(response) == (404, "not_found")
    assert not upstream.hits


async def test_largest_allowed_id_reaches_the_provider(
    service: TestClient, upstream: FakeProvider
) -> None:
    response = await service.get(f"/plate/{MAX_IMAGE_ID}")
    assert response.status == 200
    assert upstream.hits[MAX_IMAGE_ID] == 1


async def test_id_longer_than_the_request_line_limit_is_a_4xx(service: TestClient) -> None:
    # aiohttp's parser refuses a request line over 8190 bytes before any handler runs.
    response = await service.get(raw_path("/plate/" + "7" * 20_000))
    assert 400 <= response.status < 500


async def raw_request(service: TestClient, request: bytes) -> bytes:
    """Send bytes no HTTP client library would produce; return the answer's head."""
    reader, writer = await asyncio.open_connection(service.server.host, service.server.port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), FAST_S)
    finally:
        writer.close()


@pytest.mark.parametrize("path", ["/plate/\U0001F4A9".encode(), b"/plate/1\xff",
                                  "/plate/١٢٣".encode()])
async def test_raw_non_ascii_bytes_in_the_path_are_400(
    service: TestClient, path: bytes
) -> None:
    # Refused by aiohttp's parser before routing, so the body is aiohttp's, not ours.
    head = await raw_request(service, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"400"


@pytest.mark.parametrize("query", ["mode=%00", "mode=" + "x" * 3000, "mode=%F0%9F%98%80",
                                   "mode=%ED%A0%80", "mode=auto&mode=scene&mode=crop"])
async def test_junk_query_is_400_or_ignored(service: TestClient, query: str) -> None:
    response = await service.get(raw_path(f"/plate/1?{query}"))
    if response.status == 200:  # repeated valid mode: the first one wins
        return
    assert await error_of(response) == (400, "bad_request")


# --- POST /plates -----------------------------------------------------------------

async def post_json_bytes(service: TestClient, body: bytes) -> ClientResponse:
    return await service.post("/plates", data=body,
                              headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(("body", "code"), [
    (b"", "bad_request"),
    (b"null", "bad_request"),
    (b'"image_ids"', "bad_request"),
    (b"12", "bad_request"),
    (b'{"image_ids": null}', "bad_request"),
    (b'{"image_ids": "1,2,3"}', "bad_request"),
    (b'{"image_ids": {"0": 1}}', "bad_request"),
    (b'{"image_ids": [1]', "bad_request"),
    (b'{"image_ids": [1]} trailing', "bad_request"),
    (b'{"image_ids": [NaN]}', "invalid_image_id"),
    (b'{"image_ids": [Infinity]}', "invalid_image_id"),
    (b'{"image_ids": [1e400]}', "invalid_image_id"),
    (b'{"image_ids": [[1]]}', "invalid_image_id"),
    (b'{"image_ids": [null]}', "invalid_image_id"),
    (b'{"image_ids": [{"id": 1}]}', "invalid_image_id"),
    (b'{"image_ids": ["\\ud800"]}', "invalid_image_id"),
    ('{"image_ids": ["١٢٣"]}'.encode(), "invalid_image_id"),
    (b'{"image_ids": [-1]}', "invalid_image_id"),
    (b'{"image_ids": [-0.0]}', "invalid_image_id"),
    (f'{{"image_ids": [{MAX_IMAGE_ID + 1}]}}'.encode(), "invalid_image_id"),
    (f'{{"image_ids": [{2**64}, 1]}}'.encode(), "invalid_image_id"),
    (b'{"image_ids": [1, 2, -99999999999999999999]}', "invalid_image_id"),
    ("{\"image_ids\": [1], \"\U0001F600\": \"\u202e\"}".encode("utf-16"), None),
    (b"\xef\xbb\xbf{\"image_ids\": [1]}", None),
    (b"\x00\x00\x00\x00", "bad_request"),
    (b"\xc3\x28", "bad_request"),
])
async def test_malformed_batches_are_400(
    service: TestClient, upstream: FakeProvider, body: bytes, code: str | None
) -> None:
    response = await post_json_bytes(service, body)
    if code is None:  # oddly encoded but valid JSON: json.loads accepts UTF-16 and a BOM
        assert response.status in (200, 400)
        if response.status == 400:
            assert (await error_of(response))[1] == "bad_request"
        return
    assert await error_of(response) == (400, code)
    assert not upstream.hits


async def test_deeply_nested_json_is_400(service: TestClient) -> None:
    response = await post_json_bytes(service, b"[" * 50_000 + b"]" * 50_000)
    assert await error_of(response) == (400, "bad_request")


async def test_integer_literal_with_thousands_of_digits_is_400(service: TestClient) -> None:
    response = await post_json_bytes(service, b'{"image_ids": [' + b"1" * 5000 + b"]}")
    assert (await error_of(response))[0] == 400


async def test_batch_over_the_limit_is_413_before_any_download(
    service: TestClient, upstream: FakeProvider
) -> None:
    body = json.dumps({"image_ids": list(range(10_000))}).encode()
    assert len(body) < MAX_REQUEST_BYTES
    response = await post_json_bytes(service, body)
    assert await error_of(response) == (413, "batch_too_large")
    assert not upstream.hits


async def test_batch_over_the_limit_with_bad_ids_is_still_413(service: TestClient) -> None:
    response = await post_json_bytes(service, json.dumps({"image_ids": ["x"] * 101}).encode())
    assert await error_of(response) == (413, "batch_too_large")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_huge_request_body_is_413_payload_too_large_quickly(
    service: TestClient, declared: bool
) -> None:
    size = 50 * MAX_REQUEST_BYTES
    data: io.BytesIO | AsyncIterator[bytes] = (
        io.BytesIO(b'{"image_ids": [' + b"1," * (size // 2) + b"1]}") if declared
        else body_chunks(size))
    with stopwatch() as elapsed:
        response = await service.post("/plates", data=data,
                                      headers={"Content-Type": "application/json"})
        status_code = await error_of(response)
    assert status_code == (413, "payload_too_large")
    assert elapsed[0] < 2 * FAST_S


async def test_lying_content_length_is_413_without_waiting_for_the_body(
    service: TestClient
) -> None:
    head = await raw_request(
        service, b"POST /plates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000000000000\r\n\r\n{\"image_ids\": [1")
    assert head.startswith(b"HTTP/1.1 413 ")


# --- POST /recognize --------------------------------------------------------------

@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_huge_upload_is_413_payload_too_large(service: TestClient,
                                                    declared: bool) -> None:
    size = 5 * MAX_IMAGE_BYTES

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(size // 65536):
            yield b"\0" * 65536

    data: io.BytesIO | AsyncIterator[bytes] = (
        io.BytesIO(b"\xff\xd8\xff" + b"\0" * size) if declared else chunks())
    with stopwatch() as elapsed:
        response = await service.post("/recognize", data=data,
                                      headers={"Content-Type": "image/jpeg"})
        status_code = await error_of(response)
    assert status_code == (413, "payload_too_large")
    assert elapsed[0] < 2 * FAST_S


async def test_uploaded_decompression_bomb_is_422(service: TestClient) -> None:
    response = await service.post("/recognize", data=sof_jpeg(30_000, 30_000),
                                  headers={"Content-Type": "image/jpeg"})
    assert await error_of(response) == (422, "image_too_large")


@pytest.mark.parametrize("body", [
    pytest.param(gzip.compress(b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), 9), id="bomb"),
    pytest.param(JPEG, id="not-gzip"),
])
async def test_gzip_encoded_upload_junk_is_a_4xx(service: TestClient, body: bytes) -> None:
    # aiohttp would inflate Content-Encoding: gzip request bodies before any size check,
    # so encoded bodies are refused outright (415, RFC 9110 section 15.5.16).
    with stopwatch() as elapsed:
        response = await service.post("/recognize", data=body,
                                      headers={"Content-Type": "image/jpeg",
                                               "Content-Encoding": "gzip"})
        status, code = await error_of(response)
    assert (status, code) == (415, "unsupported_media_type")
    assert elapsed[0] < 2 * FAST_S


@pytest.mark.parametrize("coding", ["br", "zstd", "deflate", "compress", "x-unknown"])
@pytest.mark.parametrize(("path", "content_type"), [("/recognize", "image/jpeg"),
                                                    ("/plates", "application/json")])
async def test_every_content_coding_gets_the_json_415(
        service: TestClient, coding: str, path: str, content_type: str) -> None:
    # Not aiohttp's plain-text 400 ("please install Brotli") for codings it cannot decode.
    response = await service.post(path, data=b"\x1f\x8b junk",
                                  headers={"Content-Type": content_type,
                                           "Content-Encoding": coding})
    assert response.content_type == "application/json"
    assert await error_of(response) == (415, "unsupported_media_type")


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("text/plain", JPEG, (415, "unsupported_media_type")),
    ("multipart/form-data; boundary=x", JPEG, (400, "bad_request")),  # not a form
    ("image/svg+xml", b"<svg/>", (415, "unsupported_media_type")),
    ("image/jpeg", b"", (400, "bad_request")),
    ("image/jpeg", b"<html></html>", (422, "invalid_image")),
    ("image/png", JPEG[:100], (422, "invalid_image")),
])
async def test_bad_uploads_get_their_documented_code(
    service: TestClient, content_type: str, body: bytes, expected: tuple[int, str]
) -> None:
    response = await service.post("/recognize", data=body,
                                  headers={"Content-Type": content_type})
    assert await error_of(response) == expected


# --- everything at once -------------------------------------------------------------

async def test_a_mixed_burst_of_every_fault_gives_zero_500s(
    make_service: ServiceFactory, upstream: FakeProvider, unused_tcp_port: int
) -> None:
    service = await make_service(max_batch_size=20)
    upstream.script(100, Answer(fault=Fault.HANG))
    upstream.script(101, Answer(JPEG, drip_s=0.05))
    upstream.script(102, Answer(JPEG[:200], declared_length=len(JPEG)))
    upstream.script(103, Answer(b"oops", status=500, content_type="text/plain"))
    upstream.script(104, Answer(b"busy", status=503), Answer(JPEG))
    upstream.script(105, Answer(b"slow down", status=429))
    upstream.script(106, Answer(b"<html>hi</html>", content_type="text/html"))
    upstream.script(107, Answer(b""))
    upstream.script(108, Answer(JPEG[: len(JPEG) // 2]))
    upstream.script(109, flood(50 * 1024 * 1024, chunked=False))
    upstream.script(110, flood(50 * 1024 * 1024, chunked=True))
    upstream.script(111, Answer(sof_jpeg(30_000, 30_000)))
    upstream.script(112, Answer(JPEG, content_type="text/plain"))
    upstream.script(113, Answer(b"x", status=404))
    expected = {100: 504, 101: 504, 102: 502, 103: 502, 104: 200, 105: 502, 106: 422,
                107: 422, 108: 422, 109: 422, 110: 422, 111: 422, 112: 200, 113: 404, 1: 200}

    requests: list[Awaitable[ClientResponse]] = [
        service.get(f"/plate/{image_id}") for image_id in expected]
    requests += [service.get("/health") for _ in range(5)]
    requests += [service.post("/plates", json={"image_ids": list(expected)[:20]})]
    requests += [service.get(raw_path(p)) for p in
                 ("/plate/..%2F..", "/plate/%00", "/plate/-1", "/plate/" + "9" * 400,
                  "/plate/%F0%9F%98%80", "/nope", "/plate/1?mode=x")]
    requests += [post_json_bytes(service, body) for body in
                 (b"{bad", b'{"image_ids": []}', b'{"image_ids": ["1"]}',
                  json.dumps({"image_ids": list(range(21))}).encode(),
                  b'{"image_ids": [' + b"1," * (MAX_REQUEST_BYTES // 2) + b"1]}")]
    requests += [service.post("/recognize", data=body, headers={"Content-Type": ctype})
                 for body, ctype in ((JPEG, "image/jpeg"), (b"hi", "text/plain"),
                                     (sof_jpeg(30_000, 30_000), "image/jpeg"),
                                     (io.BytesIO(b"\0" * (MAX_IMAGE_BYTES + 1)), "image/png"))]
    random.Random(7).shuffle(requests)
    with stopwatch() as elapsed:
        responses = await asyncio.gather(*requests)
    statuses = [r.status for r in responses]
    assert 500 not in statuses
    assert all(s < 500 or s in (502, 504) for s in statuses)
    for response in responses:
        if response.status >= 400:
            await error_of(response)  # the single JSON error shape, every time
    by_path = {r.url.raw_path_qs: r.status for r in responses if r.method == "GET"}
    for image_id, status in expected.items():
        assert by_path[f"/plate/{image_id}"] == status, image_id
    assert elapsed[0] < DEADLINE_BOUND_S + 1.0
    refused = await make_service(base_url=f"http://127.0.0.1:{unused_tcp_port}")
    assert (await refused.get("/plate/1")).status == 502


async def test_malformed_chunked_request_body_is_400(service: TestClient) -> None:
    head = await raw_request(
        service, b"POST /plates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"ima\r\nzz-not-hex\r\n")
    assert head.split(b" ", 2)[1] == b"400"
