"""Every answer the OpenAPI document promises is one the running app really gives.

Each error code an operation documents is provoked through HTTP, and each upload media
type it lists is sent; a code documented without a way to provoke it here fails the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import cv2
import numpy as np
import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient

from plate_service.config import Config
from plate_service.web.openapi import build_openapi
from plate_service.web.requests import FORM_IMAGE_FIELD
from testkit.fake_provider import Answer, FakeProvider
from tests.fakes import FakeReader, encode, plate_like_jpeg

MakeClient = Callable[..., Awaitable[TestClient]]
Scenario = Callable[[MakeClient, FakeProvider, FakeReader], Awaitable[ClientResponse]]

SPEC = build_openapi(Config())
UNKNOWN_ID = 4242
JUNK = b"<html>not an image</html>"
# Past the 200,000-byte image limit of the test app (tests/web/conftest.py).
TOO_MANY_BYTES = b"\xff\xd8\xff" + b"\0" * 300_000


def _documented_codes() -> set[tuple[str, str]]:
    return {(operation["operationId"], code)
            for item in SPEC["paths"].values() for operation in item.values()
            for response in operation["responses"].values()
            for code in response.get("x-error-codes", [])}


def _upload(data: bytes, content_type: str = "image/jpeg", query: str = "") -> Scenario:
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        client = await make()
        return await client.post(f"/recognize{query}", data=data,
                                 headers={"Content-Type": content_type})
    return run


def _get(path: str, **limits: int) -> Scenario:
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        return await (await make(**limits)).get(path)
    return run


def _batch(body: bytes, content_encoding: str | None = None, **limits: int) -> Scenario:
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        headers = {"Content-Type": "application/json"}
        if content_encoding:
            headers["Content-Encoding"] = content_encoding
        return await (await make(**limits)).post("/plates", data=body, headers=headers)
    return run


def _provider_serves(image_id: int, answer: Answer | None = None, *,
                     down: bool = False) -> Scenario:
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        client = await make()
        if answer is not None:
            provider.script(image_id, answer)
        if down:
            await provider.stop()
        return await client.get(f"/plate/{image_id}")
    return run


def _overloaded(send: Callable[[TestClient, int], Awaitable[ClientResponse]]) -> Scenario:
    """One slow recognition fills a queue of one; the next request is turned away."""
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        client = await make(max_pending_recognitions=1, max_batch_size=1)
        reader.delay_s = 0.5
        first = asyncio.ensure_future(client.get("/plate/10022"))
        await asyncio.sleep(0.2)
        try:
            return await send(client, 9965)
        finally:
            assert (await first).status == 200
    return run


def _failing_reader(send: Callable[[TestClient], Awaitable[ClientResponse]]) -> Scenario:
    async def run(make: MakeClient, provider: FakeProvider, reader: FakeReader
                  ) -> ClientResponse:
        def explode(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        reader.read = explode  # type: ignore[method-assign]
        return await send(await make())
    return run


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("readPlate", "invalid_image_id"): _get("/plate/-1"),
    ("readPlate", "bad_request"): _get("/plate/10022?mode=sideways"),
    ("readPlate", "image_not_found"): _get(f"/plate/{UNKNOWN_ID}"),
    ("readPlate", "provider_timeout"): _provider_serves(
        7, Answer(plate_like_jpeg(), delay_s=5)),
    ("readPlate", "provider_unavailable"): _provider_serves(7, down=True),
    ("readPlate", "provider_error"): _provider_serves(
        7, Answer(b"upstream says no", status=500, content_type="text/plain")),
    ("readPlate", "invalid_image"): _provider_serves(7, Answer(JUNK)),
    ("readPlate", "image_too_large"): _provider_serves(7, Answer(TOO_MANY_BYTES)),
    ("readPlate", "overloaded"): _overloaded(lambda c, i: c.get(f"/plate/{i}")),
    ("readPlate", "internal_error"): _failing_reader(lambda c: c.get("/plate/10022")),
    ("readPlates", "bad_request"): _batch(b"{not json"),
    ("readPlates", "invalid_image_id"): _batch(b'{"image_ids": [-1]}'),
    ("readPlates", "batch_too_large"): _batch(b'{"image_ids": [1, 2, 3]}', max_batch_size=2),
    ("readPlates", "payload_too_large"): _batch(b'{"image_ids": [' + b"1, " * 500 + b"1]}",
                                                max_request_bytes=1000),
    ("readPlates", "unsupported_media_type"): _batch(b'{"image_ids": [1]}',
                                                     content_encoding="gzip"),
    ("readPlates", "overloaded"): _overloaded(
        lambda c, i: c.post("/plates", json={"image_ids": [i]})),
    ("readPlates", "internal_error"): _failing_reader(
        lambda c: c.post("/plates", json={"image_ids": [10022]})),
    ("recognize", "bad_request"): _upload(b""),
    ("recognize", "payload_too_large"): _upload(TOO_MANY_BYTES),
    ("recognize", "unsupported_media_type"): _upload(b"hello", "text/plain"),
    ("recognize", "invalid_image"): _upload(JUNK),
    ("recognize", "image_too_large"): _upload(encode(np.zeros((40, 13_000), np.uint8), ".png"),
                                              "image/png"),
    ("recognize", "overloaded"): _overloaded(
        lambda c, i: c.post("/recognize", data=plate_like_jpeg(),
                            headers={"Content-Type": "image/jpeg"})),
    ("recognize", "internal_error"): _failing_reader(
        lambda c: c.post("/recognize", data=plate_like_jpeg(),
                         headers={"Content-Type": "image/jpeg"})),
}


def test_every_documented_error_has_a_scenario() -> None:
    assert _documented_codes() == set(SCENARIOS)


@pytest.mark.parametrize(("operation", "code"), sorted(SCENARIOS))
async def test_each_documented_error_is_answered(
    operation: str, code: str, make_client: MakeClient, provider: FakeProvider,
    reader: FakeReader,
) -> None:
    response = await SCENARIOS[operation, code](make_client, provider, reader)
    error = (await response.json())["error"]
    assert error["code"] == code
    assert response.status == error["http_status"]
    documented = next(answer for item in SPEC["paths"].values() for op in item.values()
                      if op["operationId"] == operation
                      for answer in [op["responses"].get(str(response.status), {})])
    assert code in documented.get("x-error-codes", []), "answered with an undocumented status"


def _image_bytes(media_type: str) -> bytes:
    plate = cv2.imdecode(np.frombuffer(plate_like_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    extension = {"image/png": ".png", "image/bmp": ".bmp", "image/webp": ".webp"}
    return encode(plate, extension.get(media_type, ".jpg"))


@pytest.mark.parametrize(
    "media_type", sorted(SPEC["paths"]["/recognize"]["post"]["requestBody"]["content"]))
async def test_each_documented_upload_media_type_is_read(
    media_type: str, client: TestClient
) -> None:
    data = _image_bytes(media_type)
    if media_type == "multipart/form-data":
        form = FormData()
        form.add_field(FORM_IMAGE_FIELD, data, filename="plate.jpg", content_type="image/jpeg")
        response = await client.post("/recognize", data=form)
    else:
        response = await client.post("/recognize", data=data,
                                     headers={"Content-Type": media_type})
    assert response.status == 200, await response.text()
    assert (await response.json())["plate"] == "С181МВ190"
