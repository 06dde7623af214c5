"""JSON rendering: UTF-8 unescaped bodies and the result and error shapes of the API."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from plate_service.error_codes import error_object
from plate_service.errors import PlateServiceError
from plate_service.recognition.types import ImageRecognition, PlateResult
from plate_service.service import ImageOutcome


def json_response(data: Any, *, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Cyrillic kept as is ("С181МВ190", not "\\u0421...")."""
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def error_body(code: str, message: str, status: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "http_status": status, **extra}}


def plate_json(plate: PlateResult) -> dict[str, Any]:
    reading = plate.reading
    return {
        "text": reading.text,
        "text_latin": reading.text_latin,
        "region": reading.region,
        "confidence": round(reading.confidence, 4),
        "box": list(plate.box),
        "format": reading.plate_format.value if reading.plate_format else None,
        "valid": reading.valid,
        "char_confidences": [round(c, 4) for c in reading.char_confidences],
        "detection_score": None if plate.detection_score is None
        else round(plate.detection_score, 4),
        "source": plate.source,
    }


def recognition_json(recognition: ImageRecognition) -> dict[str, Any]:
    best = recognition.best
    return {
        "plate": best.reading.text if best else None,
        "plates": [plate_json(plate) for plate in recognition.plates],
        "mode": recognition.mode,
        "image_size": [recognition.width, recognition.height],
    }


def outcome_json(outcome: ImageOutcome) -> dict[str, Any]:
    """One image's result; the shape of GET /plate/{id} and of each batch item."""
    if outcome.error is not None:
        return {"image_id": outcome.image_id, "status": "error",
                "error": error_object(outcome.error)}
    assert outcome.recognition is not None
    body: dict[str, Any] = {"image_id": outcome.image_id, "status": "ok"}
    body.update(recognition_json(outcome.recognition))
    body["cached"] = outcome.cached
    if outcome.timings is not None:
        body["timings_ms"] = {
            "download": round(outcome.timings.download_ms, 2),
            "recognition": round(outcome.timings.recognition_ms, 2),
        }
    return body


def exception_body(exc: PlateServiceError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error_object(exc)}
    if exc.image_id is not None:
        body["error"]["image_id"] = exc.image_id
    return body
