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
from tests.fakes import fake_recognizer, plate_like_jpeg

PLATE = plate_like_jpeg()


def _provider(plate: bytes) -> web.Application:
    """Even IDs are ``plate``, multiples of 3 are junk, the rest do not exist."""

    async def image(request: web.Request) -> web.Response:
        image_id = int(request.match_info["image_id"])
        if image_id % 2 == 0:
            return web.Response(body=plate, content_type="image/jpeg")
        if image_id % 3 == 0:
            return web.Response(text="<html>", content_type="text/html")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get(r"/images/{image_id:\d+}", image)
    return app


class LiveServers:
    """Provider and service on loopback, on an event loop in a background thread."""

    def __init__(self, plate: bytes = PLATE) -> None:
        self.plate = plate
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list[web.AppRunner] = []
        self.base_url = ""

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.runners.append(runner)
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _start(self) -> None:
        provider_port = await self._serve(_provider(self.plate))
        config = Config(upstream=UpstreamConfig(base_url=f"http://127.0.0.1:{provider_port}",
                                                total_timeout_s=2.0, retries=0))
        port = await self._serve(create_app(config, recognizer_factory=lambda _:
                                            fake_recognizer()))
        self.base_url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()

    def __enter__(self) -> LiveServers:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
