"""SIGTERM stops the service within seconds at any moment, after its in-flight requests,
and a start and a stop log nothing an operator must look at (Docker/Kubernetes stop)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from demo_provider.images import bundled_plates
from tests.conftest import MODELS_DIR
from testkit.fake_provider import FakeProvider, serving
from testkit.processes import free_port, ready_workers

# How soon the service must be gone after SIGTERM, once its requests are answered.
STOP_WITHIN_S = 2.0


class Service:
    """``python -m plate_service`` in a session of its own (its workers in its group), on a
    free port, its JSON log lines collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        assert process.stdout is not None
        self._reading = asyncio.ensure_future(self._read(process.stdout))

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        async for line in stdout:
            self.lines.append(line.decode())

    async def logged(self, text: str) -> None:
        """Returns once a log line contains ``text``."""
        while not any(text in line for line in self.lines):
            assert self.process.returncode is None, "the service exited first"
            await asyncio.sleep(0.005)

    async def answers_health(self) -> None:
        """Returns as soon as ``/health`` answers, asking every 20 ms."""
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.02)

    async def ready(self, workers: int) -> None:
        """Returns once every worker has loaded its models."""
        assert len(await asyncio.to_thread(ready_workers, self.url, workers)) == workers

    async def idle(self, workers: int) -> None:
        """Returns a while after every worker is ready, none of them serving."""
        await self.ready(workers)
        await asyncio.sleep(0.5)

    async def stop(self) -> tuple[int, float, str]:
        """SIGTERM to the whole process group (``kill -- -PID``), so that a worker may get
        it before the master relays it: the exit code, the seconds it took, and what the
        service wrote to stderr."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        took = time.monotonic() - started
        await self._reading
        assert self.process.stderr is not None
        return code, took, (await self.process.stderr.read()).decode()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    async def kill(self) -> None:
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        await self._reading


@pytest.fixture
async def provider_url() -> AsyncIterator[str]:
    """The bundled plates, each answered after 1 s: long enough to SIGTERM mid-request."""
    images = {image_id: stored.data for image_id, stored in bundled_plates().items()}
    async with FakeProvider(serving(images, delay_s=1.0)) as provider:
        yield provider.url


@pytest.fixture
async def start(provider_url: str) -> AsyncIterator[Callable[[str], Awaitable[Service]]]:
    started: list[Service] = []

    async def start(workers: str) -> Service:
        port = free_port()
        env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1",
               "MODELS_DIR": str(MODELS_DIR), "IMAGE_PROVIDER_URL": provider_url,
               "LOG_LEVEL": "INFO", "WORKERS": workers}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "plate_service", env=env, start_new_session=True,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        started.append(Service(process, port))
        return started[-1]

    yield start
    for service in started:
        await service.kill()


def _group_is_gone(service: Service) -> bool:
    try:
        os.killpg(service.process.pid, 0)
    except ProcessLookupError:
        return True
    return False


Moment = Callable[[Service, int], Awaitable[None]]
STOPPED = (0,)
# While Python imports the service, it has no handler yet: SIGTERM has its default action
# (exit status 143, -15 as Python reports it), as prompt and as harmless.
NOT_YET_HANDLED = (0, -signal.SIGTERM)

# Moments of a start, each awaited before the SIGTERM, and the exit codes it may end with.
MOMENTS: dict[str, tuple[Moment, tuple[int, ...]]] = {
    "the process starts": (lambda service, _: asyncio.sleep(0), NOT_YET_HANDLED),
    "a worker forks": (lambda service, _: service.logged("Booting worker"), STOPPED),
    "models load": (lambda service, _: service.logged("model loaded from"), STOPPED),
    "/health first answers": (lambda service, _: service.answers_health(), STOPPED),
    "idle": (lambda service, workers: service.idle(workers), STOPPED),
}


@pytest.mark.parametrize(("workers", "moment"), [
    (workers, moment) for workers in ("1", "2") for moment in MOMENTS
    if workers == "2" or moment != "a worker forks"])  # a single process forks no worker
async def test_sigterm_at_any_moment_of_a_start_stops_the_service_at_once(
    start: Callable[[str], Awaitable[Service]], workers: str, moment: str,
) -> None:
    service = await start(workers)
    reached, codes = MOMENTS[moment]
    await asyncio.wait_for(reached(service, int(workers)), timeout=60)
    code, took, errors = await service.stop()
    assert code in codes
    assert errors == ""
    assert took <= STOP_WITHIN_S
    assert _group_is_gone(service)


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_in_flight_request_finishes_after_sigterm(
    start: Callable[[str], Awaitable[Service]], workers: str,
) -> None:
    service = await start(workers)
    await service.ready(int(workers))
    async with aiohttp.ClientSession() as session:
        in_flight = asyncio.ensure_future(session.get(f"{service.url}/plate/1"))
        await asyncio.sleep(0.3)
        stopping = asyncio.ensure_future(service.stop())
        response = await in_flight
        answered = time.monotonic()
        assert response.status == 200
        assert (await response.json())["plate"] == "С181МВ190"
    code, _, errors = await stopping
    assert (code, errors) == (0, "")
    assert time.monotonic() - answered <= STOP_WITHIN_S


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_start_and_a_stop_log_nothing_above_info_and_say_where_they_listen(
    start: Callable[[str], Awaitable[Service]], workers: str,
) -> None:
    service = await start(workers)
    await service.ready(int(workers))
    code, _, errors = await service.stop()
    assert (code, errors) == (0, "")
    records = service.records()
    assert {record["level"] for record in records} == {"INFO"}
    assert not [record for record in records if "exception" in record
                or "Errno" in record["message"]]
    messages = [record["message"] for record in records]
    assert any(message.startswith(f"serving on {service.url}") for message in messages)
    if workers == "2":
        assert any(message.startswith(f"Listening at: {service.url} ") for message in messages)


async def test_a_request_a_worker_cannot_parse_is_one_warning_line_with_the_peer(
    start: Callable[[str], Awaitable[Service]],
) -> None:
    service = await start("2")
    await service.ready(2)
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n")
    assert (await reader.readline()).split()[1] == b"400"
    writer.close()
    await writer.wait_closed()
    code, _, errors = await service.stop()
    assert (code, errors) == (0, "")
    (warning,) = [record for record in service.records() if record["level"] != "INFO"]
    assert warning["level"] == "WARNING"
    assert "exception" not in warning
    assert "from 127.0.0.1: 400 " in warning["message"]
