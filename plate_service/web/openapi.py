"""The OpenAPI 3.0 description of the API, served at /openapi.json and checked by the tests."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from plate_service.answers import (
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_TOP_N,
    MAX_TOP_N,
    CandidateAnswer,
    Plate,
    Recognition,
    Timings,
    json_schema,
)
from plate_service.config import Config
from plate_service.error_codes import (
    BAD_REQUEST,
    BATCH_TOO_LARGE,
    ERROR_CODES,
    IMAGE_NOT_FOUND,
    IMAGE_TOO_LARGE,
    INTERNAL_ERROR,
    INVALID_IMAGE,
    INVALID_IMAGE_ID,
    OVERLOADED,
    PAYLOAD_TOO_LARGE,
    PROVIDER_ERROR,
    PROVIDER_TIMEOUT,
    PROVIDER_UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
    ErrorCode,
)
from plate_service.recognition.types import DEFAULT_MODE, MODES
from plate_service.web.requests import (
    FORMATS,
    FORM_IMAGE_FIELD,
    UPLOAD_CONTENT_TYPES,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: ErrorCode) -> dict[str, Any]:
    """Error responses of an operation, one per HTTP status, naming the codes behind each."""
    by_status: dict[int, list[ErrorCode]] = {}
    for code in (*codes, INTERNAL_ERROR):
        by_status.setdefault(code.http_status, []).append(code)
    return {
        str(status): {
            **_json(_ref("ErrorResponse"),
                    "; ".join(f"{code.code}: {code.meaning}" for code in group)),
            # The codes themselves, for machines (the tests provoke each one).
            "x-error-codes": [code.code for code in group],
        }
        for status, group in sorted(by_status.items())
    }


_MODE_PARAM = {
    "name": "mode", "in": "query", "required": False,
    "description": "auto: decide from the image; crop: the image is a tight plate; "
                   "scene: search the photo for plates",
    "schema": {"type": "string", "enum": list(MODES), "default": DEFAULT_MODE},
}

_ANSWER_PARAMS = [
    {
        "name": "top_n", "in": "query", "required": False,
        "description": "How many candidates (alternative readings) to list per plate",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_TOP_N,
                   "default": DEFAULT_TOP_N},
    },
    {
        "name": "min_confidence", "in": "query", "required": False,
        "description": "Only plates with at least this (calibrated) confidence appear in "
                       "plates and plate",
        "schema": {"type": "number", "minimum": 0, "maximum": 1,
                   "default": DEFAULT_MIN_CONFIDENCE},
    },
]

_FORMAT_PARAM = {
    "name": "format", "in": "query", "required": False,
    "description": "json: the recognition result; jpeg: the image with each plate's "
                   "outline and reading drawn on it (errors are JSON either way)",
    "schema": {"type": "string", "enum": list(FORMATS), "default": "json"},
}


def _result(description: str) -> dict[str, Any]:
    """200 of a single-image operation: JSON by default, the drawn image for format=jpeg."""
    answer = _json(_ref("Recognition"), description)
    answer["content"]["image/jpeg"] = {"schema": {"type": "string", "format": "binary"}}
    return answer


# What can go wrong once an image's bytes are in hand, whoever sent them.
_IMAGE_ERRORS = (INVALID_IMAGE, IMAGE_TOO_LARGE, OVERLOADED)
# What can go wrong fetching an image from the provider.
_PROVIDER_ERRORS = (IMAGE_NOT_FOUND, PROVIDER_TIMEOUT, PROVIDER_UNAVAILABLE, PROVIDER_ERROR)


def _schemas(config: Config) -> dict[str, Any]:
    image_id = {"type": "integer", "minimum": 0, "maximum": config.limits.max_image_id}
    recognition = json_schema(Recognition)
    recognition["properties"]["image_id"]["maximum"] = config.limits.max_image_id
    return {
        **{cls.__name__: json_schema(cls) for cls in (CandidateAnswer, Plate, Timings)},
        "Recognition": recognition,
        "Error": {
            "type": "object",
            "required": ["code", "message", "http_status"],
            "properties": {
                "code": {"type": "string", "enum": [item.code for item in ERROR_CODES]},
                "message": {"type": "string"},
                "http_status": {"type": "integer"},
                "upstream_status": {"type": "integer"},
                "image_id": {"type": "integer"},
                "request_id": {"type": "string"},
                "limit": {"type": "integer"},
                "allowed_methods": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ErrorResponse": {
            "type": "object", "required": ["error"], "properties": {"error": _ref("Error")},
        },
        "BatchItemError": {
            "type": "object",
            "required": ["image_id", "status", "error"],
            "properties": {
                "image_id": image_id,
                "status": {"type": "string", "enum": ["error"]},
                "error": _ref("Error"),
            },
        },
        "BatchRequest": {
            "type": "object",
            "required": ["image_ids"],
            "properties": {
                "image_ids": {"type": "array", "items": image_id, "minItems": 1,
                              "maxItems": config.limits.max_batch_size},
            },
        },
        "BatchResponse": {
            "type": "object",
            "required": ["results"],
            "properties": {
                "results": {"type": "array", "items": {
                    "oneOf": [_ref("Recognition"), _ref("BatchItemError")]}},
            },
        },
    }


_READY = {"type": "object", "required": ["status", "detector", "pending_recognitions", "pid"],
          "properties": {"status": {"type": "string", "enum": ["ready", "overloaded"]},
                         "detector": {"type": "boolean"},
                         "pending_recognitions": {"type": "integer"},
                         "pid": {"type": "integer"}}}


def build_openapi(config: Config) -> dict[str, Any]:
    """The spec for this configuration (limits appear in it)."""
    image_id_param = {
        "name": "image_id", "in": "path", "required": True,
        "description": "Image ID at the provider",
        "schema": {"type": "integer", "minimum": 0, "maximum": config.limits.max_image_id},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "plate-service",
            "version": metadata.version("plate-service"),
            "description": "Reads Russian licence plates (GOST R 50577) from images, "
                           "offline. Errors share one shape: {\"error\": {...}}.",
        },
        "paths": {
            "/plate/{image_id}": {"get": {
                "summary": "Read the plate on one image from the provider",
                "operationId": "readPlate",
                "parameters": [image_id_param, _MODE_PARAM, *_ANSWER_PARAMS, _FORMAT_PARAM],
                "responses": {
                    "200": _result("Recognition result, or the annotated image"),
                    **_errors(INVALID_IMAGE_ID, BAD_REQUEST, *_PROVIDER_ERRORS,
                              *_IMAGE_ERRORS),
                },
            }},
            "/plates": {"post": {
                "summary": "Read plates on many images; errors are reported per item",
                "operationId": "readPlates",
                "parameters": [_MODE_PARAM, *_ANSWER_PARAMS],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("BatchRequest")}}},
                "responses": {
                    "200": _json(_ref("BatchResponse"), "One result per ID, in order"),
                    **_errors(BAD_REQUEST, INVALID_IMAGE_ID, BATCH_TOO_LARGE,
                              PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, OVERLOADED),
                },
            }},
            "/recognize": {"post": {
                "summary": "Read plates on an uploaded image",
                "operationId": "recognize",
                "parameters": [_MODE_PARAM, *_ANSWER_PARAMS, _FORMAT_PARAM],
                "requestBody": {"required": True, "content": {
                    **{media: {"schema": {"type": "string", "format": "binary"}}
                       for media in UPLOAD_CONTENT_TYPES},
                    "multipart/form-data": {"schema": {
                        "type": "object", "required": [FORM_IMAGE_FIELD],
                        "properties": {FORM_IMAGE_FIELD: {"type": "string",
                                                          "format": "binary"}}}},
                }},
                "responses": {
                    "200": _result("Recognition result (image_id null), or the annotated "
                                   "image"),
                    **_errors(BAD_REQUEST, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE,
                              *_IMAGE_ERRORS),
                },
            }},
            "/health": {"get": {
                "summary": "Liveness", "operationId": "health",
                "responses": {"200": _json({"type": "object", "required": ["status"],
                                            "properties": {"status": {"type": "string"}}},
                                           "Alive")},
            }},
            "/ready": {"get": {
                "summary": "Readiness: models loaded and the queue not full",
                "operationId": "ready",
                "responses": {
                    "200": _json(_READY, "Takes work"),
                    "503": _json(_READY, "Recognition queue full (status overloaded)"),
                },
            }},
            "/metrics": {"get": {
                "summary": "Prometheus metrics", "operationId": "metrics",
                "responses": {"200": {"description": "Prometheus text format",
                                      "content": {"text/plain": {"schema": {
                                          "type": "string"}}}}},
            }},
        },
        "components": {"schemas": _schemas(config)},
    }
