"""SIGTERM lets in-flight requests finish before the process exits (Docker/Kubernetes stop)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from demo_provider.images import bundled_plates
from tests.conftest import MODELS_DIR
from testkit.fake_provider import FakeProvider, serving
from testkit.processes import free_port


@pytest.fixture
async def slow_provider() -> AsyncIterator[FakeProvider]:
    """The bundled plates, each answered after 1 s: long enough to SIGTERM mid-request."""
    images = {image_id: stored.data for image_id, stored in bundled_plates().items()}
    async with FakeProvider(serving(images, delay_s=1.0)) as provider:
        yield provider


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_in_flight_request_finishes_after_sigterm(
    slow_provider: FakeProvider, workers: str,
) -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "MODELS_DIR": str(MODELS_DIR),
           "IMAGE_PROVIDER_URL": slow_provider.url, "LOG_LEVEL": "WARNING",
           "WORKERS": workers}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "plate_service", env=env,
                                                stdout=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/ready") as ready:
                        if ready.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            in_flight = asyncio.ensure_future(session.get(f"http://127.0.0.1:{port}/plate/1"))
            await asyncio.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            response = await in_flight
            assert response.status == 200
            assert (await response.json())["plate"] == "С181МВ190"
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
