"""ImageProviderClient: every upstream failure becomes the right typed error; retry rules."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aioresponses import aioresponses
from aiohttp.client_reqrep import ConnectionKey

from plate_service.config import UpstreamConfig
from plate_service.errors import (
    ImageNotFoundError,
    ImageTooLargeError,
    UpstreamBadStatusError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from plate_service.upstream import ImageProviderClient

BASE = "http://provider.test"
URL = f"{BASE}/images/10022"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"


def _config(**overrides: object) -> UpstreamConfig:
    values: dict[str, object] = dict(base_url=BASE, retries=2, retry_backoff_s=0.001,
                                     total_timeout_s=5.0)
    values.update(overrides)
    return UpstreamConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def mocked() -> aioresponses:
    with aioresponses() as mock:
        yield mock


def _refused() -> aiohttp.ClientConnectorError:
    key = ConnectionKey("provider.test", 80, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


def _calls(mocked: aioresponses) -> int:
    return sum(len(calls) for calls in mocked.requests.values())


async def test_returns_body_bytes(session: aiohttp.ClientSession, mocked: aioresponses) -> None:
    mocked.get(URL, status=200, body=JPEG)
    assert await ImageProviderClient(session, _config()).get_image(10022) == JPEG


async def test_404_is_image_not_found_and_never_retried(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, status=404, repeat=True)
    with pytest.raises(ImageNotFoundError) as info:
        await ImageProviderClient(session, _config()).get_image(10022)
    assert info.value.upstream_status == 404
    assert _calls(mocked) == 1


async def test_timeout_is_provider_timeout(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, exception=asyncio.TimeoutError(), repeat=True)
    with pytest.raises(UpstreamTimeoutError):
        await ImageProviderClient(session, _config()).get_image(10022)


async def test_refused_connection_is_retried_then_unavailable(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, exception=_refused(), repeat=True)
    with pytest.raises(UpstreamUnavailableError):
        await ImageProviderClient(session, _config(retries=2)).get_image(10022)
    assert _calls(mocked) == 3


async def test_disconnect_is_unavailable(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, exception=aiohttp.ServerDisconnectedError(), repeat=True)
    with pytest.raises(UpstreamUnavailableError):
        await ImageProviderClient(session, _config(retries=0)).get_image(10022)


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried_and_recover(
    session: aiohttp.ClientSession, mocked: aioresponses, status: int
) -> None:
    mocked.get(URL, status=status)
    mocked.get(URL, status=status)
    mocked.get(URL, status=200, body=JPEG)
    assert await ImageProviderClient(session, _config(retries=2)).get_image(10022) == JPEG
    assert _calls(mocked) == 3


async def test_gateway_error_after_retries_is_provider_error(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, status=503, repeat=True)
    with pytest.raises(UpstreamBadStatusError) as info:
        await ImageProviderClient(session, _config(retries=1)).get_image(10022)
    assert info.value.upstream_status == 503
    assert _calls(mocked) == 2


@pytest.mark.parametrize("status", [500, 403, 429, 302])
async def test_other_statuses_are_provider_error_without_retry(
    session: aiohttp.ClientSession, mocked: aioresponses, status: int
) -> None:
    mocked.get(URL, status=status, repeat=True)
    with pytest.raises(UpstreamBadStatusError) as info:
        await ImageProviderClient(session, _config()).get_image(10022)
    assert info.value.upstream_status == status
    assert _calls(mocked) == 1


async def test_body_over_limit_is_image_too_large(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, status=200, body=b"\xff" * 2048)
    with pytest.raises(ImageTooLargeError):
        await ImageProviderClient(session, _config(), max_image_bytes=1024).get_image(10022)


async def test_retries_stop_at_the_total_deadline(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(URL, exception=_refused(), repeat=True)
    client = ImageProviderClient(
        session, _config(retries=10, retry_backoff_s=0.2, total_timeout_s=0.3))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(UpstreamUnavailableError):
        await client.get_image(10022)
    assert loop.time() - started < 0.3 + 0.1  # the deadline, plus scheduling slack
    assert _calls(mocked) < 11


async def test_url_has_the_image_id(session: aiohttp.ClientSession,
                                    mocked: aioresponses) -> None:
    mocked.get(re.compile(r".*"), status=200, body=JPEG)
    await ImageProviderClient(session, _config(base_url=BASE + "/")).get_image(9965)
    (method, url), = mocked.requests.keys()
    assert str(url) == f"{BASE}/images/9965"


async def test_a_backoff_that_oversleeps_the_deadline_reports_the_upstream_error(
    session: aiohttp.ClientSession, mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_sleep = asyncio.sleep

    async def overslept(delay: float) -> None:  # a busy machine wakes the backoff late
        await real_sleep(delay + 0.3 if delay > 0.01 else delay)

    monkeypatch.setattr(asyncio, "sleep", overslept)
    mocked.get(URL, exception=_refused(), repeat=True)
    client = ImageProviderClient(
        session, _config(retries=10, retry_backoff_s=0.01, total_timeout_s=0.2))
    with pytest.raises(UpstreamUnavailableError):
        await client.get_image(10022)
