"""The shared test kit's load generator and process figures.

The benchmarks' figures (docs/benchmarks.md) come from them, so they must count right: a
load generator that miscounted errors, or a memory figure that missed the workers, would
make every number there wrong.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer

from testkit.load import run_load
from testkit.processes import largest_worker_mb, process_tree, rss_mb


async def test_load_generator_counts_requests_and_non_200_answers(
        aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]) -> None:
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
