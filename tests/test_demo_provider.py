"""The demo provider serves folders and rendered plates the way the real upstream does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import cv2
import numpy as np
from aiohttp.test_utils import TestClient

from demo_provider.app import create_demo_app
from demo_provider.images import DEMO_PLATES, load_folder, render_demo_plates
from tests.fakes import encode

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


def test_rendered_plates_are_upstream_style_jpegs() -> None:
    images = render_demo_plates()
    assert sorted(images) == sorted(DEMO_PLATES)
    for stored in images.values():
        image = cv2.imdecode(np.frombuffer(stored.data, np.uint8), cv2.IMREAD_UNCHANGED)
        assert image.shape == (56, 260)
    assert render_demo_plates()[1].data == images[1].data  # deterministic


async def test_serves_images_and_404s(aiohttp_client: Client) -> None:
    client = await aiohttp_client(create_demo_app(render_demo_plates()))
    response = await client.get("/images/1")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await client.get("/images/999")).status == 404
    listing = await (await client.get("/images")).json()
    assert listing["images"][0] == {"image_id": 1, "plate_latin": DEMO_PLATES[1]}


async def test_cycle_serves_every_id_and_latency_delays(aiohttp_client: Client) -> None:
    import time

    client = await aiohttp_client(create_demo_app(render_demo_plates(), latency_s=0.05,
                                                  cycle=True))
    started = time.perf_counter()
    response = await client.get("/images/123456")
    assert response.status == 200
    assert time.perf_counter() - started >= 0.05
