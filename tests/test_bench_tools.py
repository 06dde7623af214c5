"""The benchmark's own tools: the lean fake upstream, the raw load generator, the paired A/B.

Their figures go into docs/benchmarks.md, so they must speak HTTP correctly: a provider
that answered the wrong image, or a load generator that miscounted errors, would make
every number there wrong.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bench.fake_upstream import serve
from bench.images import provider_crops
from bench import interleaved
from bench.paired import compare, report
from bench.service_load import free_port, largest_worker_mb, process_tree, rss_mb, run_load


async def _provider(latency_ms: float) -> AsyncIterator[str]:
    port = free_port()
    task = asyncio.create_task(serve("127.0.0.1", port, latency_ms))
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
        except OSError:
            await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.fixture
async def provider() -> AsyncIterator[str]:
    async for url in _provider(0):
        yield url


@pytest.fixture
async def slow_provider() -> AsyncIterator[str]:
    async for url in _provider(50):
        yield url


async def test_fake_upstream_serves_every_id_as_one_of_the_rendered_jpegs(
        provider: str) -> None:
    crops = provider_crops()
    async with aiohttp.ClientSession() as session:  # one keep-alive connection, reused
        for image_id in (0, 7, 123456789):
            async with session.get(f"{provider}/images/{image_id}") as response:
                assert response.status == 200
                assert response.content_type == "image/jpeg"
                assert await response.read() == crops[image_id % len(crops)]


async def test_fake_upstream_answers_404_off_the_images_route(provider: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/images/abc", "/other", "/images/"):
            async with session.get(f"{provider}{path}") as response:
                assert response.status == 404


async def test_fake_upstream_waits_the_configured_latency(slow_provider: str) -> None:
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.get(f"{slow_provider}/images/1") as response:
            await response.read()
        assert time.perf_counter() - started >= 0.045


async def test_load_generator_counts_requests_and_non_200_answers(
        aiohttp_server) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    async def plate(request: web.Request) -> web.Response:
        seen.append(request.match_info["image_id"])
        status = 404 if int(request.match_info["image_id"]) % 2 else 200
        return web.json_response({"ok": True}, status=status)

    async def plates(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"results": body["image_ids"]})

    app = web.Application()
    app.router.add_get("/plate/{image_id}", plate)
    app.router.add_post("/plates", plates)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"

    result = await run_load(base, concurrency=4, total=40)
    assert result.requests == 40
    assert len(set(seen)) == 40  # a fresh ID per request, so no cache can answer
    assert result.errors == sum(int(i) % 2 for i in seen)

    batch = await run_load(base, concurrency=2, total=6, batch=10)
    assert (batch.requests, batch.errors) == (6, 0)


def test_http_only_service_reads_the_first_image_once_and_repeats_it() -> None:
    from bench.http_only_service import MemoisedRecognizer

    class CountingRecognizer:
        has_detector = True
        calls = 0

        def recognize(self, image, mode="auto"):  # type: ignore[no-untyped-def]
            self.calls += 1
            return f"reading of {mode} image {image}"

    real = CountingRecognizer()
    memoised = MemoisedRecognizer(real)  # type: ignore[arg-type]
    first = memoised.recognize("one", "crop")  # type: ignore[arg-type]
    again = memoised.recognize("two")  # type: ignore[arg-type]
    assert first == again == "reading of crop image one"
    assert real.calls == 1
    assert memoised.has_detector


async def test_load_generator_reconnects_to_http_1_0_servers_that_close() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await run_load(f"http://127.0.0.1:{port}", concurrency=2, total=6)
    assert (result.requests, result.errors) == (6, 0)


def test_process_figures_cover_the_workers() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for _ in range(50):
            if child.pid in process_tree(os.getpid()):
                break
            time.sleep(0.05)
        assert child.pid in process_tree(os.getpid())
        assert rss_mb(os.getpid()) > rss_mb(child.pid) > 0
    finally:
        child.kill()
        child.wait()


def test_the_largest_worker_is_the_child_holding_the_most_memory() -> None:
    holder = "import time; data = bytearray(80 * 2**20); print(flush=True); time.sleep(30)"
    children = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
                for code in ("import time; print(flush=True); time.sleep(30)", holder)]
    try:
        for child in children:
            assert child.stdout is not None
            child.stdout.readline()  # started, and the holder has its memory
        rss, file_pages = largest_worker_mb(os.getpid())
        assert rss > 80 and rss - file_pages > 80  # the holder's, mostly anonymous
    finally:
        for child in children:
            child.kill()
            child.communicate()


def test_paired_comparison_of_a_checkout_with_itself_reports_every_measure() -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("bench.paired needs two cores")
    root = Path(__file__).resolve().parent.parent
    pairs = compare(root, root, rounds=2, calls=20)
    assert list(pairs) == ["one crop", "decode + read", "batch of 64", "~1 MP photo"]
    assert all(len(rows) == 2 and all(a > 0 and b > 0 for a, b in rows)
               for rows in pairs.values())
    table = report(pairs).splitlines()
    assert len(table) == 2 + len(pairs) and table[2].startswith("| one crop | ")


def test_an_aliased_checkout_imports_its_own_copy(tmp_path: Path) -> None:
    package = tmp_path / "checkout" / "plate_service"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "reader.py").write_text("from plate_service.version import NAME\n")
    (package / "version.py").write_text("NAME = 'checkout'\n")
    interleaved.alias_checkout(tmp_path / "checkout", "x", tmp_path / "aliased")
    copy = tmp_path / "aliased" / "plate_service_x"
    assert (copy / "reader.py").read_text() == "from plate_service_x.version import NAME\n"
    assert (copy / "version.py").read_text() == "NAME = 'checkout'\n"


def test_interleaved_comparison_of_a_checkout_with_itself_reports_every_measure() -> None:
    root = Path(__file__).resolve().parent.parent
    pairs = interleaved.compare(root, root, calls=50, blocks=2)
    assert list(pairs) == ["one crop", "decode + read", "batch of 64", "~1 MP photo"]
    assert all(len(rows) == 2 and all(a > 0 and b > 0 for a, b in rows)
               for rows in pairs.values())
    # Both copies were loaded and are apart from the checkout's own package.
    assert {"plate_service_a", "plate_service_b"} <= set(sys.modules)
    assert sys.modules["plate_service_a"] is not sys.modules["plate_service_b"]
    assert report(pairs, unit="block").splitlines()[0].endswith("median of blocks | each block |")
