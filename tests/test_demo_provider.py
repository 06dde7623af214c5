"""The demo provider serves folders and rendered plates the way the real upstream does."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import cv2
import numpy as np
from aiohttp.test_utils import TestClient

from demo_provider.app import create_demo_app
from demo_provider.images import bundled_plates, load_folder
from tests.fakes import encode
from training.synth import demo_plates

Client = Callable[..., Awaitable[TestClient]]


def test_folder_ids_come_from_labels_or_file_names(tmp_path: Path) -> None:
    jpeg = encode(np.zeros((56, 260), dtype=np.uint8))
    (tmp_path / "a.jpg").write_bytes(jpeg)
    (tmp_path / "42.png").write_bytes(encode(np.zeros((5, 5), dtype=np.uint8), ".png"))
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "labels.csv").write_text("file,plate_latin,image_id\na.jpg,A123BC77,7\n")
    images = load_folder(tmp_path)
    assert sorted(images) == [7, 42]
    assert images[7].text_latin == "A123BC77"
    assert images[42].media_type == "image/png"


def test_bundled_plates_are_upstream_style_jpegs() -> None:
    images = bundled_plates()
    assert sorted(images) == [1, 2, 3, 4, 5]
    for stored in images.values():
        image = cv2.imdecode(np.frombuffer(stored.data, np.uint8), cv2.IMREAD_UNCHANGED)
        assert image.shape == (56, 260)
        assert stored.media_type == "image/jpeg"


def test_bundled_plates_are_what_our_renderer_draws() -> None:
    assert {i: s.text_latin for i, s in bundled_plates().items()} == demo_plates.DEMO_PLATES
    for image_id, stored in bundled_plates().items():
        shipped = cv2.imdecode(np.frombuffer(stored.data, np.uint8), cv2.IMREAD_GRAYSCALE)
        drawn = demo_plates.render_demo_plate(image_id, demo_plates.DEMO_PLATES[image_id])
        # JPEG round trip only: re-run `python -m training.synth.demo_plates` if this fails.
        assert np.abs(shipped.astype(int) - drawn.astype(int)).mean() < 3, image_id


async def test_serves_images_and_404s(aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_demo_app(bundled_plates()))
    response = await client.get("/images/1")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await client.get("/images/999")).status == 404
    listing = await (await client.get("/images")).json()
    assert listing["images"][0] == {"image_id": 1, "plate_latin": "C181MB190"}


async def test_cycle_serves_every_id_and_latency_delays(aiohttp_client: Client) -> None:
    import time

    client = await aiohttp_client(create_demo_app(bundled_plates(), latency_s=0.05,
                                                  cycle=True))
    started = time.perf_counter()
    response = await client.get("/images/123456")
    assert response.status == 200
    assert time.perf_counter() - started >= 0.05


async def test_logs_the_address_it_listens_on() -> None:
    """With ``--port 0`` the system picks the port: the log line is where to find it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demo_provider", "--host", "127.0.0.1", "--port", "0",
        stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stderr is not None
        line = await asyncio.wait_for(process.stderr.readline(), timeout=30)
        while b"listening on" not in line:
            line = await asyncio.wait_for(process.stderr.readline(), timeout=30)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)$", line.decode().strip())
        assert found, line
        async with aiohttp.ClientSession() as session, \
                session.get(f"{found[1]}/images/1") as response:
            assert response.status == 200
    finally:
        process.terminate()
        await process.wait()
