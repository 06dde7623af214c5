"""plate_service.api_client against the real app: answers as JSON, failures as typed errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient

from plate_service import api_client as api
from tests.fakes import plate_like_jpeg
from tests.live import LiveServers


@pytest.fixture
async def service_url(client: TestClient) -> str:
    return str(client.make_url("")).rstrip("/")


async def test_read_plate_read_plates_and_recognize(service_url: str) -> None:
    async with api.PlateServiceClient(service_url) as plates:
        assert (await plates.read_plate(10022))["plate"] == "С181МВ190"
        results = await plates.read_plates([10022, 1])
        assert [r["status"] for r in results] == ["ok", "error"]
        uploaded = await plates.recognize(plate_like_jpeg(), content_type="image/jpeg")
        assert uploaded["image_id"] is None


@pytest.mark.parametrize(("call", "error"), [
    (lambda c: c.read_plate(1), api.ImageNotFoundError),
    (lambda c: c.read_plate(-5), api.InvalidImageIdError),
    (lambda c: c.read_plates([]), api.BadRequestError),
    (lambda c: c.recognize(b"junk"), api.InvalidImageError),
])
async def test_errors_are_typed_by_code(service_url: str, call: object,
                                        error: type[api.PlateServiceClientError]) -> None:
    async with api.PlateServiceClient(service_url) as plates:
        with pytest.raises(error) as info:
            await call(plates)  # type: ignore[operator]
    assert info.value.http_status is not None and info.value.http_status >= 400
    assert info.value.payload["code"] == error.code


async def test_unreachable_service_is_a_connection_error(unused_tcp_port: int) -> None:
    async with api.PlateServiceClient(f"http://127.0.0.1:{unused_tcp_port}") as plates:
        with pytest.raises(api.ConnectionFailedError):
            await plates.read_plate(1)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with LiveServers() as servers:
        yield servers.base_url


def test_sync_client_reads_and_raises(live_url: str) -> None:
    plates = api.SyncPlateServiceClient(live_url)
    assert plates.read_plate(2)["plate"] == "С181МВ190"
    assert [r["status"] for r in plates.read_plates([2, 1])] == ["ok", "error"]
    with pytest.raises(api.ImageNotFoundError):
        plates.read_plate(1)
