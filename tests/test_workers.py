"""WORKERS=N: N service processes on one port under gunicorn, metrics of them all."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from gunicorn.errors import HaltServer
from prometheus_client.parser import text_string_to_metric_families

from demo_provider.images import bundled_plates
from plate_service.config import usable_cpus
from plate_service.workers import EXIT_CANNOT_LISTEN, EXIT_CONFIG_ERROR, EXIT_MODEL_ERROR
from tests.conftest import MODELS_DIR
from testkit.fake_provider import FakeProvider, serving
from testkit.processes import free_port, process_tree, ready_workers


def _children(pid: int) -> set[int]:
    return set(process_tree(pid)[1:])


class Service:
    """``python -m plate_service`` in a subprocess, on a free port."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    async def wait_ready(self, workers: int) -> set[int]:
        """The workers' PIDs, once each of them answered /ready (its models are loaded)."""
        if self.process.returncode is not None:
            raise AssertionError(f"service exited with {self.process.returncode}")
        pids = await asyncio.to_thread(ready_workers, self.url, workers)
        assert len(pids) == workers, f"only {len(pids)} of {workers} workers became ready"
        return pids


async def _start(provider_url: str, **env: str) -> Service:
    port = free_port()
    environment = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1",
                   "MODELS_DIR": str(MODELS_DIR), "IMAGE_PROVIDER_URL": provider_url,
                   "LOG_LEVEL": "WARNING", **env}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "plate_service", env=environment,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    return Service(process, port)


@pytest.fixture
async def provider_url() -> AsyncIterator[str]:
    images = {image_id: stored.data for image_id, stored in bundled_plates().items()}
    async with FakeProvider(serving(images)) as provider:
        yield provider.url


@pytest.fixture
async def two_workers(provider_url: str) -> AsyncIterator[Service]:
    service = await _start(provider_url, WORKERS="2")
    try:
        yield service
    finally:
        if service.process.returncode is None:
            service.process.kill()
            await service.process.wait()


async def _plate_requests_counted(session: aiohttp.ClientSession, url: str) -> float:
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "plate_http_requests_total"
               and sample.labels["route"] == "/plate/{image_id}")


async def test_two_workers_serve_and_one_scrape_counts_the_requests_of_both(
    two_workers: Service,
) -> None:
    await two_workers.wait_ready(workers=2)
    async with aiohttp.ClientSession() as session:
        for image_id in range(1, 25):  # a new connection each: the kernel spreads them
            async with aiohttp.ClientSession() as fresh, \
                    fresh.get(f"{two_workers.url}/plate/{image_id % 3 + 1}") as response:
                assert response.status == 200
        assert await _plate_requests_counted(session, two_workers.url) == 24


async def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(
    two_workers: Service,
) -> None:
    before = await two_workers.wait_ready(workers=2)
    assert before == _children(two_workers.process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    for _ in range(100):
        after = _children(two_workers.process.pid)
        if len(after) == 2 and victim not in after:
            break
        await asyncio.sleep(0.1)
    assert len(after) == 2 and victim not in after
    assert await two_workers.wait_ready(workers=2) == after
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{two_workers.url}/plate/1") as response:
            assert (await response.json())["plate"] == "С181МВ190"
    two_workers.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(two_workers.process.wait(), timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in after)


async def test_workers_that_cannot_load_models_stop_the_service(provider_url: str) -> None:
    service = await _start(provider_url, WORKERS="2", MODELS_DIR="/nonexistent/models")
    assert await asyncio.wait_for(service.process.wait(), timeout=60) == EXIT_MODEL_ERROR


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_taken_port_is_a_clear_error(provider_url: str, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = await _start(provider_url, WORKERS=workers, PORT=str(port))
        assert await asyncio.wait_for(service.process.wait(), timeout=60) == EXIT_CANNOT_LISTEN
        assert service.process.stderr is not None
        assert f"cannot listen on 127.0.0.1:{port}" in (await service.process.stderr.read()
                                                        ).decode()


def test_usable_cpus_honours_a_cgroup_quota(tmp_path: Path) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("max 100000\n")
    unlimited = usable_cpus(cpu_max)
    assert unlimited == len(os.sched_getaffinity(0))
    cpu_max.write_text("50000 100000\n")
    assert usable_cpus(cpu_max) == 1
    cpu_max.write_text("150000 100000\n")
    assert usable_cpus(cpu_max) == min(unlimited, 2)
    assert usable_cpus(tmp_path / "absent") == unlimited


async def test_workers_stop_when_the_master_is_killed_hard(two_workers: Service) -> None:
    workers = await two_workers.wait_ready(workers=2)
    two_workers.process.kill()
    await two_workers.process.wait()
    for _ in range(200):
        if not any(Path(f"/proc/{pid}").exists() for pid in workers):
            break
        await asyncio.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


async def test_a_bad_setting_is_a_clear_error_before_any_worker_starts(
    provider_url: str,
) -> None:
    service = await _start(provider_url, WORKERS="2", WORKER_TIMEOUT="soon")
    assert await asyncio.wait_for(service.process.wait(), timeout=60) == EXIT_CONFIG_ERROR
    assert service.process.stderr is not None
    assert "WORKER_TIMEOUT='soon'" in (await service.process.stderr.read()).decode()


async def test_a_worker_whose_event_loop_hangs_is_replaced(tmp_path: Path) -> None:
    """gunicorn's timeout: a worker that stops checking in is killed and a new one starts."""
    script = tmp_path / "hanging.py"
    script.write_text(HANGING_SERVICE)
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(port), env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    service = Service(process, port)
    try:
        (first,) = await service.wait_ready(workers=1)
        async with aiohttp.ClientSession() as session:
            with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):
                async with session.get(f"{service.url}/hang",
                                       timeout=aiohttp.ClientTimeout(total=20)):
                    pass
        (second,) = await service.wait_ready(workers=1)
        assert second != first
        assert not Path(f"/proc/{first}").exists()
    finally:
        process.kill()
        await process.wait()


# The service's worker pool around an app with a route that blocks its event loop.
HANGING_SERVICE = """
import sys, time
from aiohttp import web
from plate_service.config import Config
from plate_service.workers import listen, serve_workers

async def ready(request):
    import os
    return web.json_response({"status": "ready", "pid": os.getpid()})

async def hang(request):
    time.sleep(60)
    return web.Response()

def make_app():
    app = web.Application()
    app.router.add_get("/ready", ready)
    app.router.add_get("/hang", hang)
    return app

port = int(sys.argv[1])
config = Config(host="127.0.0.1", port=port, workers=1, worker_timeout_s=2)
sys.exit(serve_workers(config, listen("127.0.0.1", port, for_workers=True), make_app))
"""


def test_no_writable_temporary_directory_is_a_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from plate_service.config import Config
    from plate_service.workers import listen, serve_workers

    # What a read-only root filesystem without a tmpfs at /tmp looks like to Python.
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))
    listener = listen("127.0.0.1", 0)

    def never_called() -> object:
        raise AssertionError("no worker may start")

    assert serve_workers(Config(workers=2), listener, never_called) == EXIT_CONFIG_ERROR
    assert "mount a tmpfs or emptyDir at /tmp" in caplog.text
    assert listener.fileno() == -1, "the socket is closed"


@pytest.mark.parametrize("escape", [SystemExit(3), HaltServer("Worker failed to boot.", 3)],
                         ids=["gunicorn halts", "a second boot failure escapes the halt"])
def test_a_worker_that_fails_to_boot_is_a_model_error_however_gunicorn_stops(
    monkeypatch: pytest.MonkeyPatch, escape: BaseException,
) -> None:
    from plate_service.config import Config
    from plate_service.workers import WorkerPool, listen, serve_workers

    def stop(self: WorkerPool) -> None:
        raise escape

    monkeypatch.setattr(WorkerPool, "run", stop)
    listener = listen("127.0.0.1", 0)
    assert serve_workers(Config(workers=2), listener, lambda: None) == EXIT_MODEL_ERROR
    assert listener.fileno() == -1, "the socket is closed"
