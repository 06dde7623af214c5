"""JSON rendering: UTF-8 unescaped bodies and the result and error shapes of the API."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from plate_service.error_codes import error_object
from plate_service.errors import PlateServiceError
from plate_service.recognition.regions import region_name
from plate_service.recognition.types import ImageRecognition, PlateResult
from plate_service.service import ImageOutcome
from plate_service.web.requests import AnswerOptions


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


def plate_json(plate: PlateResult, top_n: int) -> dict[str, Any]:
    reading = plate.reading
    return {
        "text": reading.text,
        "text_latin": reading.text_latin,
        "region": reading.region,
        "region_name": region_name(reading.region),
        "confidence": round(plate.confidence, 4),
        "candidates": [{"text": c.text, "text_latin": c.text_latin,
                        "probability": round(c.probability, 6)}
                       for c in plate.candidates[:top_n]],
        "box": list(plate.box),
        "corners": [[round(x, 1), round(y, 1)] for x, y in plate.corners],
        "format": reading.plate_format.value if reading.plate_format else None,
        "valid": reading.valid,
        "char_confidences": [round(c, 4) for c in reading.char_confidences],
        "detection_score": None if plate.detection_score is None
        else round(plate.detection_score, 4),
        "source": plate.source,
    }


def recognition_json(recognition: ImageRecognition, options: AnswerOptions) -> dict[str, Any]:
    """The plates reported with at least ``options.min_confidence``, best first."""
    plates = [plate for plate in recognition.plates
              if plate.confidence >= options.min_confidence]
    return {
        "plate": plates[0].reading.text if plates else None,
        "plates": [plate_json(plate, options.top_n) for plate in plates],
        "mode": recognition.mode,
        "image_size": [recognition.width, recognition.height],
    }


def outcome_json(outcome: ImageOutcome, options: AnswerOptions) -> dict[str, Any]:
    """One image's result; the shape of GET /plate/{id} and of each batch item."""
    if outcome.error is not None:
        return {"image_id": outcome.image_id, "status": "error",
                "error": error_object(outcome.error)}
    assert outcome.recognition is not None
    body: dict[str, Any] = {"image_id": outcome.image_id, "status": "ok"}
    body.update(recognition_json(outcome.recognition, options))
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
