"""The HTTP API: shapes of answers, every error row, batches, limits, unicode."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import REPO_ROOT
from testkit.fake_provider import Answer, FakeProvider
from tests.fakes import FakeReader, plate_like_jpeg


async def test_read_plate_answers_the_documented_shape(client: TestClient) -> None:
    response = await client.get("/plate/10022")
    assert response.status == 200
    body = await response.json()
    assert body["image_id"] == 10022
    assert body["plate"] == "С181МВ190"
    (plate,) = body["plates"]
    assert plate["text"] == "С181МВ190"
    assert plate["text_latin"] == "C181MB190"
    assert plate["region"] == "190"
    assert 0 <= plate["confidence"] <= 1
    assert plate["box"] == [0, 0, 260, 56]
    assert set(body["timings_ms"]) == {"download", "recognition"}


async def test_cyrillic_is_not_escaped(client: TestClient) -> None:
    response = await client.get("/plate/10022")
    raw = await response.read()
    assert "С181МВ190".encode() in raw
    assert b"\\u0421" not in raw
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


async def test_no_plate_is_200_with_null(client: TestClient, reader: FakeReader) -> None:
    reader.text_latin = ""
    body = await (await client.get("/plate/10022")).json()
    assert body["plate"] is None
    assert body["plates"] == []


@pytest.mark.parametrize("raw_id", ["-1", "abc", "1.5", "99999999999999999999999",
                                    "１２３", "%F0%9F%98%80"])
async def test_bad_image_ids_are_400(client: TestClient, raw_id: str) -> None:
    response = await client.get(f"/plate/{raw_id}")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_image_id"


@pytest.mark.parametrize(("status", "http_status", "code"), [
    (None, 404, "image_not_found"),
    (500, 502, "provider_error"),
    (503, 502, "provider_error"),
    (418, 502, "provider_error"),
])
async def test_provider_statuses_map_to_the_error_table(
    client: TestClient, provider: FakeProvider, status: int | None, http_status: int,
    code: str,
) -> None:
    if status is not None:
        provider.script(7, Answer(b"upstream says no", status=status,
                                  content_type="text/plain"))
    response = await client.get("/plate/7")
    assert response.status == http_status
    error = (await response.json())["error"]
    assert error["code"] == code
    assert error["http_status"] == http_status
    assert error["image_id"] == 7
    assert error["message"]


async def test_slow_provider_is_504(client: TestClient, provider: FakeProvider) -> None:
    provider.script(10022, Answer(plate_like_jpeg(), delay_s=5.0))
    response = await client.get("/plate/10022")
    assert response.status == 504
    assert (await response.json())["error"]["code"] == "provider_timeout"


async def test_unreachable_provider_is_502(
    aiohttp_client: Callable[..., Awaitable[TestClient]], unused_tcp_port: int
) -> None:
    from plate_service.app import create_app
    from plate_service.config import Config, UpstreamConfig
    from tests.fakes import fake_recognizer

    config = Config(upstream=UpstreamConfig(base_url=f"http://127.0.0.1:{unused_tcp_port}",
                                            retries=0, total_timeout_s=2.0))
    client = await aiohttp_client(create_app(config, recognizer_factory=lambda _:
                                             fake_recognizer()))
    response = await client.get("/plate/1")
    assert response.status == 502
    assert (await response.json())["error"]["code"] == "provider_unavailable"


@pytest.mark.parametrize(("body", "code"), [
    (b"<html>oops</html>", "invalid_image"),
    (b"", "invalid_image"),
])
async def test_undecodable_bodies_are_422(
    client: TestClient, provider: FakeProvider, body: bytes, code: str
) -> None:
    provider.script(5, Answer(body))
    response = await client.get("/plate/5")
    assert response.status == 422
    assert (await response.json())["error"]["code"] == code


async def test_truncated_jpeg_is_422(client: TestClient, provider: FakeProvider) -> None:
    data = plate_like_jpeg()
    provider.script(5, Answer(data[: len(data) // 2]))
    response = await client.get("/plate/5")
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "invalid_image"


async def test_huge_body_is_image_too_large(client: TestClient,
                                            provider: FakeProvider) -> None:
    provider.script(5, Answer(b"\xff\xd8\xff" + b"\0" * 300_000))
    response = await client.get("/plate/5")
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "image_too_large"


async def test_batch_keeps_order_dedups_and_reports_errors_per_item(
    client: TestClient, provider: FakeProvider, reader: FakeReader
) -> None:
    response = await client.post("/plates", json={"image_ids": [10022, 1, 9965, 10022]})
    assert response.status == 200
    results = (await response.json())["results"]
    assert [r["image_id"] for r in results] == [10022, 1, 9965, 10022]
    assert [r["status"] for r in results] == ["ok", "error", "ok", "ok"]
    assert results[1]["error"] == {"code": "image_not_found", "http_status": 404,
                                   "upstream_status": 404,
                                   "message": results[1]["error"]["message"]}
    assert results[0]["plate"] == "С181МВ190"
    assert provider.hits == {10022: 1, 1: 1, 9965: 1}
    assert reader.batches == [1, 1]  # each image read on its own, the repeat not again


@pytest.mark.parametrize(("body", "code"), [
    (b"{not json", "bad_request"),
    (b"[1, 2]", "bad_request"),
    (b'{"ids": [1]}', "bad_request"),
    (b'{"image_ids": 5}', "bad_request"),
    (b'{"image_ids": []}', "bad_request"),
    (b'{"image_ids": [1, "2"]}', "invalid_image_id"),
    (b'{"image_ids": [1.5]}', "invalid_image_id"),
    (b'{"image_ids": [true]}', "invalid_image_id"),
    (b'{"image_ids": [-3]}', "invalid_image_id"),
    (b'{"image_ids": [100000000000000000000000]}', "invalid_image_id"),
    (b"\xff\xfe", "bad_request"),
])
async def test_bad_batch_requests_are_400(client: TestClient, body: bytes, code: str) -> None:
    response = await client.post("/plates", data=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_batch_over_the_limit_is_413(
    make_client: Callable[..., Awaitable[TestClient]]
) -> None:
    client = await make_client(max_batch_size=3)
    response = await client.post("/plates", json={"image_ids": [1, 2, 3, 4]})
    assert response.status == 413
    error = (await response.json())["error"]
    assert error["code"] == "batch_too_large"
    assert error["limit"] == 3


async def test_request_body_over_the_limit_is_413(
    make_client: Callable[..., Awaitable[TestClient]]
) -> None:
    client = await make_client(max_request_bytes=1000)
    response = await client.post("/plates", data=b'{"image_ids": [' + b"1," * 1000 + b"1]}")
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_recognize_reads_uploaded_bytes(client: TestClient) -> None:
    response = await client.post("/recognize", data=plate_like_jpeg(),
                                 headers={"Content-Type": "image/jpeg"})
    assert response.status == 200
    body = await response.json()
    assert body["image_id"] is None
    assert body["plate"] == "С181МВ190"


async def test_recognize_refuses_other_content_types(client: TestClient) -> None:
    response = await client.post("/recognize", data=b"hello",
                                 headers={"Content-Type": "text/plain"})
    assert response.status == 415
    assert (await response.json())["error"]["code"] == "unsupported_media_type"


async def test_recognize_refuses_junk_bytes(client: TestClient) -> None:
    response = await client.post("/recognize", data=b"hello",
                                 headers={"Content-Type": "image/png"})
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "invalid_image"


async def test_mode_must_be_known(client: TestClient) -> None:
    response = await client.get("/plate/10022?mode=fast")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_health_and_ready(client: TestClient) -> None:
    assert (await (await client.get("/health")).json()) == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


def _json_examples(heading: str) -> list[dict[str, object]]:
    """The JSON examples of one section of docs/api.md, in order."""
    doc = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.+?)```", section, re.S)]


async def test_the_documented_health_and_ready_answers_are_the_apps(
    client: TestClient
) -> None:
    health, ready = _json_examples("## `GET /health`, `GET /ready`")
    assert (await (await client.get("/health")).json()) == health
    answered = await (await client.get("/ready")).json()
    assert {key: type(value) for key, value in answered.items()} == {
        key: type(value) for key, value in ready.items()}
    assert (answered["status"], answered["pending_recognitions"]) == (
        ready["status"], ready["pending_recognitions"])


async def test_ready_turns_503_while_the_queue_is_full_and_back(
    make_client: Callable[..., Awaitable[TestClient]], provider: FakeProvider
) -> None:
    client = await make_client(max_pending_recognitions=1, max_batch_size=1)
    provider.script(10022, Answer(plate_like_jpeg(), delay_s=0.5))
    busy = asyncio.ensure_future(client.get("/plate/10022"))
    await asyncio.sleep(0.2)
    full = await client.get("/ready")
    assert full.status == 503
    body = await full.json()
    assert (body["status"], body["detector"], body["pending_recognitions"]) == (
        "overloaded", False, 1)
    assert (await busy).status == 200
    assert (await client.get("/ready")).status == 200


async def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    missing = await client.get("/nope")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "not_found"
    wrong = await client.delete("/plates")
    assert wrong.status == 405
    assert (await wrong.json())["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


async def test_request_id_is_echoed_in_header_and_error(client: TestClient) -> None:
    response = await client.get("/plate/-1", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert (await response.json())["error"]["request_id"] == "abc-123"
    generated = [(await client.get("/health")).headers["X-Request-ID"] for _ in range(20)]
    assert all(len(given) == 32 and int(given, 16) >= 0 for given in generated)
    assert len(set(generated)) == len(generated)


async def test_unexpected_exception_is_a_500_without_traceback(
    client: TestClient, reader: FakeReader, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    reader.read = explode  # type: ignore[method-assign]
    response = await client.get("/plate/10022")
    assert response.status == 500
    body = await response.json()
    assert body["error"]["code"] == "internal_error"
    assert "secret" not in str(body)
    assert "secret internals" in caplog.text


async def test_health_answers_while_a_slow_recognition_runs(
    client: TestClient, reader: FakeReader
) -> None:
    reader.delay_s = 1.0
    slow = asyncio.ensure_future(client.get("/plate/10022"))
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    health = await client.get("/health")
    assert health.status == 200
    assert time.perf_counter() - started < 0.5
    assert (await slow).status == 200


async def test_parallel_requests_with_slow_downloads_do_not_queue(
    client: TestClient, provider: FakeProvider
) -> None:
    for image_id in range(100, 108):
        provider.script(image_id, Answer(plate_like_jpeg(), delay_s=0.3))
    started = time.perf_counter()
    responses = await asyncio.gather(*(client.get(f"/plate/{i}") for i in range(100, 108)))
    assert [r.status for r in responses] == [200] * 8
    # Sequential handling would take 8 x 0.3 s; concurrent takes about one delay.
    assert time.perf_counter() - started < 1.5


async def test_a_full_recognition_queue_answers_503_with_retry_after(
    make_client: Callable[..., Awaitable[TestClient]], reader: FakeReader
) -> None:
    client = await make_client(max_pending_recognitions=1)
    reader.delay_s = 0.5
    first = asyncio.ensure_future(client.get("/plate/10022"))
    await asyncio.sleep(0.2)
    second = await client.get("/plate/9965")
    assert second.status == 503
    assert second.headers["Retry-After"] == "1"
    assert (await second.json())["error"]["code"] == "overloaded"
    assert (await first).status == 200
