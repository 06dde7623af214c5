"""?format=jpeg answers the image with its plates drawn; errors stay JSON; / is the try-it page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import cv2
import numpy as np
from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config, UpstreamConfig
from plate_service.recognition.types import Detection
from testkit.fake_provider import FakeProvider
from tests.fakes import FakeDetector, encode, fake_recognizer


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def _greenish(pixel: np.ndarray) -> bool:
    blue, green, red = (int(c) for c in pixel)
    return green > 120 and green > red + 60 and green > blue + 60


async def test_read_plate_as_jpeg_is_the_crop_with_its_reading_drawn(client: TestClient) -> None:
    response = await client.get("/plate/10022?format=jpeg")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    drawn = _decode(await response.read())
    height, width = drawn.shape[:2]
    assert height > 56 and width >= 260  # the 260x56 crop, on a canvas grown for its label
    assert any(_greenish(pixel) for pixel in drawn[: height - 56].reshape(-1, 3))


async def test_upload_as_jpeg_outlines_the_detected_corners(
    aiohttp_client: Callable[..., Awaitable[TestClient]], provider: FakeProvider,
) -> None:
    corners = ((100.0, 120.0), (220.0, 100.0), (225.0, 140.0), (105.0, 160.0))
    detector = FakeDetector([Detection((100, 100, 226, 161), 0.9, corners)])
    app = create_app(Config(upstream=UpstreamConfig(base_url=provider.url)),
                     recognizer_factory=lambda _: fake_recognizer(detector=detector))
    client = await aiohttp_client(app)
    photo = np.zeros((300, 400, 3), np.uint8)
    response = await client.post("/recognize?mode=scene&format=jpeg", data=encode(photo),
                                 headers={"Content-Type": "image/jpeg"})
    assert response.status == 200 and response.content_type == "image/jpeg"
    drawn = _decode(await response.read())
    assert drawn.shape == photo.shape
    for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1]):
        assert _greenish(drawn[round((y1 + y2) / 2), round((x1 + x2) / 2)])
    assert not _greenish(drawn[160, 225])  # a box corner off the tilted plate


async def test_errors_stay_json_when_an_image_was_asked_for(client: TestClient) -> None:
    missing = await client.get("/plate/1?format=jpeg")
    assert missing.status == 404 and missing.content_type == "application/json"
    assert (await missing.json())["error"]["code"] == "image_not_found"
    junk = await client.post("/recognize?format=jpeg", data=b"<html>",
                             headers={"Content-Type": "image/jpeg"})
    assert junk.status == 422 and (await junk.json())["error"]["code"] == "invalid_image"


async def test_format_must_be_known_and_defaults_to_json(client: TestClient) -> None:
    bad = await client.get("/plate/10022?format=png")
    assert bad.status == 400
    assert (await bad.json())["error"]["code"] == "bad_request"
    for query in ("", "?format=json"):
        response = await client.get(f"/plate/10022{query}")
        assert response.content_type == "application/json"
        assert (await response.json())["plate"] == "С181МВ190"


async def test_a_batch_refuses_to_draw_and_takes_json_as_asked(client: TestClient) -> None:
    drawn = await client.post("/plates?format=jpeg", json={"image_ids": [10022]})
    assert drawn.status == 400 and drawn.content_type == "application/json"
    assert "JSON only" in (await drawn.json())["error"]["message"]
    plain = await client.post("/plates?format=json", json={"image_ids": [10022]})
    assert plain.status == 200
    assert (await plain.json())["results"][0]["plate"] == "С181МВ190"


async def test_a_drawn_answer_leaves_its_reading_in_the_cache_but_not_its_pixels(
    client: TestClient, provider: FakeProvider,
) -> None:
    assert (await client.get("/plate/10022?format=jpeg")).status == 200
    cached = await (await client.get("/plate/10022")).json()
    assert cached["cached"] is True and provider.hits[10022] == 1
    # Pixels are not kept: a second drawing downloads the image again.
    assert (await client.get("/plate/10022?format=jpeg")).status == 200
    assert provider.hits[10022] == 2


async def test_the_try_it_page_and_its_assets_are_served_locally(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert 'href="/docs"' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no CDN, nothing remote
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert sorted(assets) == ["/static/try-it.css", "/static/try-it.js"]
    for asset in assets:
        response = await client.get(asset)
        assert response.status == 200 and len(await response.read()) > 500
