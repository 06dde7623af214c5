"""The app and a fake provider served on real loopback sockets from a background thread.

For tests whose client blocks (schemathesis, the sync API client), so the servers cannot
share the test's event loop.
"""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from plate_service.app import create_app
from plate_service.config import Config, UpstreamConfig
from testkit.fake_provider import NOT_FOUND, Answer, FakeProvider
from tests.fakes import fake_recognizer, plate_like_jpeg

PLATE = plate_like_jpeg()


def _provider(plate: bytes) -> FakeProvider:
    """Even IDs are ``plate``, multiples of 3 are junk, the rest do not exist."""
    served, junk = Answer(plate), Answer(b"<html>", content_type="text/html")

    def answer(image_id: int) -> Answer:
        if image_id % 2 == 0:
            return served
        return junk if image_id % 3 == 0 else NOT_FOUND

    return FakeProvider(answer)


class LiveServers:
    """Provider and service on loopback, on an event loop in a background thread."""

    def __init__(self, plate: bytes = PLATE) -> None:
        self.provider = _provider(plate)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def _start(self) -> None:
        await self.provider.start()
        config = Config(upstream=UpstreamConfig(base_url=self.provider.url,
                                                total_timeout_s=2.0, retries=0))
        self.runner = web.AppRunner(create_app(config, recognizer_factory=lambda _:
                                               fake_recognizer()), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.provider.stop()

    def __enter__(self) -> LiveServers:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
