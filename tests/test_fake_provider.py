"""The fake image provider plays its script: well-formed answers that HTTP clients read
as written, and each misbehaviour exactly as named."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from testkit.fake_provider import NOT_FOUND, Answer, FakeProvider, Fault, serving


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    async with FakeProvider(lambda image_id: Answer(b"image %d" % image_id)) as fake:
        yield fake


async def _get(provider: FakeProvider, image_id: int) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{provider.url}/images/{image_id}") as response:
            return response.status, await response.read()


async def _exchange(provider: FakeProvider, request: bytes) -> bytes:
    """Everything the provider writes on one connection until it closes it."""
    reader, writer = await asyncio.open_connection(provider.host, provider.port)
    writer.write(request)
    try:
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()


async def test_a_script_plays_one_answer_per_request_and_repeats_its_last(
    provider: FakeProvider,
) -> None:
    provider.script(7, Answer(b"busy", status=503), Answer(b"first"), Answer(b"then"))
    assert [await _get(provider, 7) for _ in range(4)] == [
        (503, b"busy"), (200, b"first"), (200, b"then"), (200, b"then")]
    assert await _get(provider, 8) == (200, b"image 8")  # unscripted: the default
    assert (provider.hits[7], provider.hits[8]) == (4, 1)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{provider.url}/hits") as response:
            assert await response.text() == "5"
        async with session.get(f"{provider.url}/images/x") as response:
            assert response.status == 404
    assert provider.hits.total() == 5


async def test_requests_on_one_connection_are_answered_in_order_after_their_delays(
    provider: FakeProvider,
) -> None:
    provider.script(1, Answer(b"slow", delay_s=0.3))
    provider.script(2, Answer(b"fast"))
    started = time.perf_counter()
    data = await _exchange(provider, b"GET /images/1 HTTP/1.1\r\n\r\n"
                                     b"GET /images/2 HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert time.perf_counter() - started >= 0.29
    assert data.index(b"slow") < data.index(b"fast")
    assert data.count(b"HTTP/1.1 200 OK") == 2


@pytest.mark.parametrize("answer", [
    pytest.param(Answer(b"x" * 10_000, chunked=True), id="chunked"),
    pytest.param(Answer(b"", chunked=True), id="empty-chunked"),
    pytest.param(Answer(b"abc", repeat=1000), id="repeated"),
    pytest.param(Answer(b"abc", repeat=1000, chunked=True), id="repeated-chunked"),
    pytest.param(Answer(b"abcd", drip_s=0.01), id="dripped"),
])
async def test_framed_and_streamed_bodies_read_back_whole(
    provider: FakeProvider, answer: Answer
) -> None:
    provider.script(7, answer)
    assert await _get(provider, 7) == (200, answer.body * answer.repeat)
    assert provider.sent[7] > len(answer.body) * answer.repeat


async def test_drip_sends_one_byte_per_interval(provider: FakeProvider) -> None:
    provider.script(7, Answer(b"abcde", drip_s=0.05))
    started = time.perf_counter()
    await _get(provider, 7)
    assert time.perf_counter() - started >= 0.2


async def test_a_lying_content_length_cuts_the_body_short(provider: FakeProvider) -> None:
    provider.script(7, Answer(b"short", declared_length=100))
    data = await _exchange(provider, b"GET /images/7 HTTP/1.1\r\n\r\n")
    assert b"Content-Length: 100\r\n" in data and data.endswith(b"\r\n\r\nshort")
    with pytest.raises(aiohttp.ClientPayloadError):
        await _get(provider, 7)


@pytest.mark.parametrize(("fault", "written"), [
    (Fault.CLOSE, b""),
    (Fault.RAW, b"SSH-2.0-OpenSSH_9.6\r\n"),
])
async def test_faults_close_after_writing_exactly_what_they_name(
    provider: FakeProvider, fault: Fault, written: bytes
) -> None:
    provider.script(7, Answer(b"SSH-2.0-OpenSSH_9.6\r\n", fault=fault))
    assert await _exchange(provider, b"GET /images/7 HTTP/1.1\r\n\r\n") == written


async def test_reset_aborts_the_connection(provider: FakeProvider) -> None:
    provider.script(7, Answer(fault=Fault.RESET))
    with pytest.raises(ConnectionResetError):
        await _exchange(provider, b"GET /images/7 HTTP/1.1\r\n\r\n")


async def test_a_hanging_answer_never_comes_until_the_provider_stops() -> None:
    provider = FakeProvider(Answer(fault=Fault.HANG))
    await provider.start()
    reader, writer = await asyncio.open_connection(provider.host, provider.port)
    writer.write(b"GET /images/7 HTTP/1.1\r\n\r\n")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(1), timeout=0.3)
    await provider.stop()
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()


async def test_unscripted_ids_are_404_by_default() -> None:
    async with FakeProvider() as provider:
        assert await _get(provider, 7) == (404, NOT_FOUND.body)


async def test_serving_answers_the_images_it_holds_and_404_for_the_rest() -> None:
    async with FakeProvider(serving({7: b"seven"}, delay_s=0.05)) as provider, \
            aiohttp.ClientSession() as session:
        started = asyncio.get_running_loop().time()
        async with session.get(f"{provider.url}/images/7") as response:
            assert (response.status, await response.read()) == (200, b"seven")
        assert asyncio.get_running_loop().time() - started >= 0.05
        async with session.get(f"{provider.url}/images/8") as response:
            assert response.status == 404
