"""Operators' view: Prometheus metrics and one structured JSON log line per request."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from plate_service.observability.logs import JsonFormatter
from plate_service.web.server_log import ServerLog


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_count_requests_downloads_recognitions_and_cache(
    client: TestClient,
) -> None:
    await client.get("/plate/10022")
    await client.get("/plate/10022")
    await client.get("/plate/1")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = _samples(await response.text())
    route = (("method", "GET"), ("route", "/plate/{image_id}"))
    assert samples[("plate_http_requests_total", route + (("status", "200"),))] == 2
    assert samples[("plate_http_requests_total", route + (("status", "404"),))] == 1
    assert samples[("plate_http_request_duration_seconds_count", route)] == 3
    assert samples[("plate_upstream_downloads_total", (("code", "ok"),))] == 1
    assert samples[("plate_upstream_downloads_total", (("code", "image_not_found"),))] == 1
    assert samples[("plate_recognition_duration_seconds_count", ())] == 1
    assert samples[("plate_recognition_queue_depth", ())] == 0
    assert samples[("plate_cache_lookups_total", (("result", "hit"),))] == 1


async def test_one_json_access_line_per_request_with_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plate_service.access")
    await client.post("/plates", json={"image_ids": [10022, 1]},
                      headers={"X-Request-ID": "req-42"})
    (record,) = [r for r in caplog.records if r.name == "plate_service.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["method"] == "POST"
    assert line["route"] == "/plates"
    assert line["status"] == 200
    assert line["image_ids"] == [10022, 1]
    assert line["upstream_statuses"] == [200, 404]
    assert line["duration_ms"] >= 0


async def test_error_lines_carry_the_error_code(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plate_service.access")
    await client.get("/plate/abc")
    (record,) = [r for r in caplog.records if r.name == "plate_service.access"]
    line = json.loads(JsonFormatter().format(record))
    assert (line["status"], line["error_code"], line["route"]) == (
        400, "invalid_image_id", "/plate/{image_id}")


async def test_a_request_the_server_cannot_parse_is_a_400_and_one_warning_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL byte in a header: aiohttp refuses it, and any client can send it at will."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n")
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert status_line.split()[1] == b"400"
    (record,) = [r for r in caplog.records if r.name == "aiohttp.server"]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING"
    assert "exception" not in line
    assert "\n" not in line["message"]
    assert line["message"] == ("Error handling request from 127.0.0.1: "
                               "400 Invalid header value char")


def test_other_server_errors_stay_errors_with_their_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        raise RuntimeError("a bug of ours")
    except RuntimeError as exc:
        ServerLog().exception("Unhandled exception", exc_info=exc)
    (record,) = caplog.records
    assert record.levelname == "ERROR"
    assert "a bug of ours" in json.loads(JsonFormatter().format(record))["exception"]
