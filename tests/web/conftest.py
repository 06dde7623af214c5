"""The fake image provider on loopback and the service app wired to it with fake models."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config, LimitsConfig, UpstreamConfig
from testkit.fake_provider import Answer, FakeProvider
from tests.fakes import FakeReader, fake_recognizer, plate_like_jpeg


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    """Images 10022 and 9965 are plates; no other ID exists."""
    fake = FakeProvider()
    for image_id in (10022, 9965):
        fake.script(image_id, Answer(plate_like_jpeg()))
    async with fake:
        yield fake


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def make_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]], provider: FakeProvider,
    reader: FakeReader,
) -> Callable[..., Awaitable[TestClient]]:
    async def make(**limits: int) -> TestClient:
        config = Config(
            upstream=UpstreamConfig(base_url=provider.url, total_timeout_s=1.0, retries=1,
                                    retry_backoff_s=0.01),
            limits=replace(LimitsConfig(max_image_bytes=200_000), **limits),
        )
        app = create_app(config, recognizer_factory=lambda _: fake_recognizer(reader))
        return await aiohttp_client(app)

    return make


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await make_client()
