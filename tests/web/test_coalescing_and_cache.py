"""Concurrent requests for one image share one download; recent results come from a cache."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from aiohttp.test_utils import TestClient

from plate_service.result_cache import create_result_cache
from testkit.fake_provider import NOT_FOUND, Answer, FakeProvider
from tests.fakes import FakeReader, plate_like_jpeg


async def test_concurrent_requests_for_one_id_download_and_recognise_once(
    client: TestClient, provider: FakeProvider, reader: FakeReader
) -> None:
    provider.script(10022, Answer(plate_like_jpeg(), delay_s=0.2))
    responses = await asyncio.gather(
        *(client.get("/plate/10022") for _ in range(5)),
        client.post("/plates", json={"image_ids": [10022, 9965]}),
    )
    assert all(response.status == 200 for response in responses)
    assert provider.hits[10022] == 1
    assert sum(reader.batches) == 2  # 10022 once, 9965 once


async def test_a_repeated_request_is_served_from_the_cache(
    client: TestClient, provider: FakeProvider
) -> None:
    first = await (await client.get("/plate/10022")).json()
    second = await (await client.get("/plate/10022")).json()
    assert provider.hits[10022] == 1
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["plate"] == second["plate"]
    assert "timings_ms" in first and "timings_ms" not in second


async def test_errors_are_not_cached(client: TestClient, provider: FakeProvider) -> None:
    await client.get("/plate/77")
    provider.script(77, Answer(plate_like_jpeg()))
    response = await client.get("/plate/77")
    assert response.status == 200
    assert provider.hits[77] == 2


async def test_shared_download_failure_reaches_every_waiter(
    client: TestClient, provider: FakeProvider
) -> None:
    provider.script(5, replace(NOT_FOUND, delay_s=0.2))
    responses = await asyncio.gather(*(client.get("/plate/5") for _ in range(3)))
    assert [r.status for r in responses] == [404, 404, 404]
    assert provider.hits[5] == 1


def test_cache_evicts_least_recently_used_and_expires() -> None:
    now = [0.0]
    cache = create_result_cache(2, ttl_s=10, clock=lambda: now[0])
    assert cache is not None
    cache[1] = "a"
    cache[2] = "b"
    assert cache.get(1) == "a"
    cache[3] = "c"
    assert cache.get(2) is None
    assert cache.get(1) == "a"
    now[0] = 11.0
    assert cache.get(1) is None


def test_a_cache_of_no_entries_or_no_time_is_none() -> None:
    assert create_result_cache(0, ttl_s=10) is None
    assert create_result_cache(10, ttl_s=0) is None


async def test_cache_can_be_turned_off(
    aiohttp_client: Callable[..., Awaitable[TestClient]], provider: FakeProvider
) -> None:
    from plate_service.app import create_app
    from plate_service.config import CacheConfig, Config, UpstreamConfig
    from tests.fakes import fake_recognizer

    config = Config(upstream=UpstreamConfig(base_url=provider.url),
                    cache=CacheConfig(max_entries=0))
    client = await aiohttp_client(create_app(config, recognizer_factory=lambda _:
                                             fake_recognizer()))
    await client.get("/plate/10022")
    await client.get("/plate/10022")
    assert provider.hits[10022] == 2


async def test_a_get_for_a_batch_id_answers_while_the_batch_waits_on_a_slow_one(
    client: TestClient, provider: FakeProvider
) -> None:
    provider.script(1, Answer(plate_like_jpeg(), delay_s=1.5))
    batch = asyncio.ensure_future(client.post("/plates", json={"image_ids": [1, 9965]}))
    await asyncio.sleep(0.3)
    single = await client.get("/plate/9965")
    assert single.status == 200
    assert not batch.done(), "the batch still waits on its slow ID"
    assert (await batch).status == 200
    assert provider.hits[9965] == 1
