"""The real service and committed models, reading the real upstream images served on loopback."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config, RecognitionConfig, UpstreamConfig
from plate_service.recognition.detector import box_iou
from tests.conftest import MODELS_DIR
from testkit.fake_provider import Answer, FakeProvider


SCENE_ID = 500
SCENE = ("scenes/s0005.jpg", "А521МР97", [276, 282, 386, 308])


def _provider(folder: Path) -> FakeProvider:
    """A stand-in for the real image provider: the same bytes under the same IDs, plus
    one real-dev car photo under SCENE_ID."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        files = {int(row["image_id"]): folder / row["file"] for row in csv.DictReader(handle)}
    files[SCENE_ID] = folder.parent / "real-dev" / SCENE[0]
    provider = FakeProvider()
    for image_id, path in files.items():
        provider.script(image_id, Answer(path.read_bytes()))
    return provider


@pytest.fixture
async def service(
    shared_data: Path, aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> AsyncIterator[TestClient]:
    async with _provider(shared_data / "provider") as provider:
        config = Config(
            upstream=UpstreamConfig(base_url=provider.url),
            recognition=RecognitionConfig(models_dir=MODELS_DIR),
        )
        yield await aiohttp_client(create_app(config))


@pytest.mark.parametrize(("image_id", "plate"), [(10022, "С181МВ190"), (9965, "О101НО750")])
async def test_reads_the_real_upstream_images(service: TestClient, image_id: int,
                                              plate: str) -> None:
    response = await service.get(f"/plate/{image_id}")
    assert response.status == 200
    body = await response.json()
    assert body["plate"] == plate
    assert body["plates"][0]["valid"] is True


async def test_batch_reads_both_and_reports_the_missing_one(service: TestClient) -> None:
    response = await service.post("/plates", json={"image_ids": [9965, 1, 10022]})
    results = (await response.json())["results"]
    assert [r.get("plate") for r in results] == ["О101НО750", None, "С181МВ190"]
    assert results[1]["error"]["code"] == "image_not_found"


async def test_ready_reports_loaded_models(service: TestClient) -> None:
    assert (await (await service.get("/ready")).json())["status"] == "ready"


async def test_a_car_photo_is_searched_and_read_through_every_endpoint(
    service: TestClient, shared_data: Path
) -> None:
    _, text, box = SCENE
    photo = (shared_data / "real-dev" / SCENE[0]).read_bytes()
    answers = [
        await (await service.get(f"/plate/{SCENE_ID}")).json(),
        (await (await service.post("/plates", json={"image_ids": [SCENE_ID]})).json())
        ["results"][0],
        await (await service.post("/recognize", data=photo,
                                  headers={"Content-Type": "image/jpeg"})).json(),
    ]
    for answer in answers:
        assert answer["mode"] == "scene"
        assert answer["plate"] == text
        best = answer["plates"][0]
        assert best["source"] == "scene"
        assert 0 < best["detection_score"] <= 1
        assert box_iou(tuple(best["box"]), tuple(box)) > 0.5


async def test_crop_mode_reads_a_photo_whole_and_trusts_nothing_it_reads(
    service: TestClient,
) -> None:
    # The whole 800x600 photo squeezed into the reader's plate-sized input reads as noise:
    # one reading of the whole frame, no plate, unsure.
    answer = await (await service.get(f"/plate/{SCENE_ID}?mode=crop")).json()
    assert answer["mode"] == "crop"
    assert [(p["box"], p["source"]) for p in answer["plates"]] == [([0, 0, 800, 600], "crop")]
    (noise,) = answer["plates"]
    assert (noise["valid"], noise["format"]) == (False, None)
    assert noise["confidence"] < 0.5
    sure = await (await service.get(f"/plate/{SCENE_ID}?mode=crop&min_confidence=0.5")).json()
    assert (sure["plate"], sure["plates"]) == (None, [])
