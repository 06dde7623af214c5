"""The answer fields users act on, through the HTTP API: candidates, corners, region names,
confidence filtering, and form uploads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from tests.fakes import FakeReader, plate_like_jpeg


def _form(data: bytes, field: str = "image", content_type: str = "image/jpeg") -> FormData:
    form = FormData()
    form.add_field(field, data, filename="car.jpg", content_type=content_type)
    return form


async def test_a_plate_lists_candidates_corners_and_its_region(
        client: TestClient, reader: FakeReader) -> None:
    reader.doubts = {1: ("7", 0.3)}
    (plate,) = (await (await client.get("/plate/10022")).json())["plates"]
    assert [c["text_latin"] for c in plate["candidates"]] == ["C181MB190", "C781MB190"]
    assert plate["candidates"][0]["text"] == plate["text"] == "С181МВ190"
    assert plate["candidates"][0]["probability"] == pytest.approx(0.7, abs=1e-4)
    assert plate["corners"] == [[0, 0], [260, 0], [260, 56], [0, 56]]
    assert plate["region_name"] == "Московская область"


async def test_top_n_limits_the_candidates(client: TestClient, reader: FakeReader) -> None:
    reader.doubts = {1: ("7", 0.3), 2: ("7", 0.3)}
    one = await (await client.get("/plate/10022?top_n=1")).json()
    assert [c["text_latin"] for c in one["plates"][0]["candidates"]] == ["C181MB190"]
    none = await (await client.get("/plate/10022?top_n=0")).json()
    assert none["plates"][0]["candidates"] == []
    default = await (await client.get("/plate/10022")).json()
    assert len(default["plates"][0]["candidates"]) == 3


async def test_an_unknown_region_has_a_null_name(client: TestClient, reader: FakeReader
                                                 ) -> None:
    reader.text_latin = "C181MB00"
    (plate,) = (await (await client.get("/plate/10022")).json())["plates"]
    assert plate["region"] == "00" and plate["region_name"] is None


async def test_min_confidence_drops_weaker_plates_from_plates_and_plate(
        client: TestClient, reader: FakeReader) -> None:
    reader.confidence = 0.6  # the fakes' calibration reports raw confidence as is
    kept = await (await client.get("/plate/10022?min_confidence=0.6")).json()
    assert kept["plate"] == "С181МВ190" and len(kept["plates"]) == 1
    dropped = await (await client.get("/plate/10022?min_confidence=0.61")).json()
    assert dropped["plate"] is None and dropped["plates"] == []
    batch = await client.post("/plates?min_confidence=0.9", json={"image_ids": [10022]})
    assert (await batch.json())["results"][0]["plates"] == []
    upload = await client.post("/recognize?min_confidence=0.9", data=plate_like_jpeg(),
                               headers={"Content-Type": "image/jpeg"})
    assert (await upload.json())["plate"] is None


@pytest.mark.parametrize("query", ["top_n=11", "top_n=-1", "top_n=two", "top_n=",
                                   "min_confidence=1.5", "min_confidence=-0.1",
                                   "min_confidence=nan", "min_confidence=high"])
@pytest.mark.parametrize("route", ["get", "post-plates", "post-recognize"])
async def test_bad_answer_options_are_400(client: TestClient, query: str, route: str) -> None:
    if route == "get":
        response = await client.get(f"/plate/10022?{query}")
    elif route == "post-plates":
        response = await client.post(f"/plates?{query}", json={"image_ids": [10022]})
    else:
        response = await client.post(f"/recognize?{query}", data=plate_like_jpeg(),
                                     headers={"Content-Type": "image/jpeg"})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "bad_request"
    assert query.split("=")[0] in error["message"]


async def test_a_form_upload_reads_like_a_raw_one(client: TestClient) -> None:
    raw = await (await client.post("/recognize", data=plate_like_jpeg(),
                                   headers={"Content-Type": "image/jpeg"})).json()
    response = await client.post("/recognize?top_n=2", data=_form(plate_like_jpeg()))
    assert response.status == 200
    form = await response.json()
    assert form["image_id"] is None and form["plate"] == raw["plate"] == "С181МВ190"
    assert form["plates"][0]["corners"] == raw["plates"][0]["corners"]


async def test_a_form_without_an_image_field_is_400(client: TestClient) -> None:
    response = await client.post("/recognize", data=_form(plate_like_jpeg(), field="photo"))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "bad_request" and "'image'" in error["message"]


async def test_form_uploads_keep_the_upload_limits_and_errors(
        make_client: Callable[..., Awaitable[TestClient]]) -> None:
    client = await make_client(max_image_bytes=1000)
    too_big = await client.post("/recognize", data=_form(b"\xff" * 5000))
    assert too_big.status == 413
    assert (await too_big.json())["error"]["code"] == "payload_too_large"
    text = await client.post("/recognize", data=_form(b"hello", content_type="text/plain"))
    assert text.status == 415
    junk = await client.post("/recognize", data=_form(b"not an image at all"))
    assert junk.status == 422
    assert (await junk.json())["error"]["code"] == "invalid_image"
    empty = await client.post("/recognize", data=_form(b""))
    assert empty.status == 400


async def test_a_broken_form_is_400(client: TestClient) -> None:
    response = await client.post("/recognize", data=b"--x\r\nnot a header\r\n\r\n--x--",
                                 headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status == 400
