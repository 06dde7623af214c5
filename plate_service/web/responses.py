"""JSON rendering: UTF-8 unescaped bodies and the result and error shapes of the API."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from plate_service.answers import AnswerOptions, Timings, recognition_answer, to_json
from plate_service.error_codes import error_object
from plate_service.errors import PlateServiceError
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


def outcome_json(outcome: ImageOutcome, options: AnswerOptions) -> dict[str, Any]:
    """One image's result; the shape of GET /plate/{id} and of each batch item."""
    if outcome.error is not None:
        return {"image_id": outcome.image_id, "status": "error",
                "error": error_object(outcome.error)}
    assert outcome.recognition is not None
    timings = None if outcome.timings is None else Timings(
        download=round(outcome.timings.download, 2),
        recognition=round(outcome.timings.recognition, 2))
    answer = recognition_answer(outcome.recognition, options, image_id=outcome.image_id,
                                cached=outcome.cached, timings=timings)
    return dict(to_json(answer))


def exception_body(exc: PlateServiceError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error_object(exc)}
    if exc.image_id is not None:
        body["error"]["image_id"] = exc.image_id
    return body
