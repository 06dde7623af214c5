"""A fake image provider on loopback and the service app wired to it with fake models."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from plate_service.app import create_app
from plate_service.config import Config, LimitsConfig, UpstreamConfig
from tests.fakes import FakeReader, fake_recognizer, plate_like_jpeg


@dataclass
class FakeProvider:
    """Serves ``images`` by ID; ``statuses`` and ``delays`` script misbehaviour."""

    images: dict[int, bytes] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    delays: dict[int, float] = field(default_factory=dict)
    hits: dict[int, int] = field(default_factory=dict)
    server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        image_id = int(request.match_info["image_id"])
        self.hits[image_id] = self.hits.get(image_id, 0) + 1
        await asyncio.sleep(self.delays.get(image_id, 0.0))
        if image_id in self.statuses:
            return web.Response(status=self.statuses[image_id], text="upstream says no")
        if image_id not in self.images:
            return web.Response(status=404, text="<html>Not Found</html>",
                                content_type="text/html")
        return web.Response(body=self.images[image_id], content_type="image/jpeg")

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def provider(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> FakeProvider:
    fake = FakeProvider(images={10022: plate_like_jpeg(), 9965: plate_like_jpeg()})
    app = web.Application()
    app.router.add_get("/images/{image_id}", fake.handle)
    fake.server = await aiohttp_server(app)
    return fake


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
