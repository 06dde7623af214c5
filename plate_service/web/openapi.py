"""The OpenAPI 3.0 description of the API, served at /openapi.json and checked by the tests."""

from __future__ import annotations

from typing import Any

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
from plate_service.web.requests import UPLOAD_CONTENT_TYPES


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
    "schema": {"type": "string", "enum": ["auto", "crop", "scene"], "default": "auto"},
}

# What can go wrong once an image's bytes are in hand, whoever sent them.
_IMAGE_ERRORS = (INVALID_IMAGE, IMAGE_TOO_LARGE, OVERLOADED)
# What can go wrong fetching an image from the provider.
_PROVIDER_ERRORS = (IMAGE_NOT_FOUND, PROVIDER_TIMEOUT, PROVIDER_UNAVAILABLE, PROVIDER_ERROR)


def _schemas(config: Config) -> dict[str, Any]:
    number01 = {"type": "number", "minimum": 0, "maximum": 1}
    image_id = {"type": "integer", "minimum": 0, "maximum": config.limits.max_image_id}
    return {
        "Plate": {
            "type": "object",
            "required": ["text", "text_latin", "region", "confidence", "box", "format",
                         "valid", "char_confidences", "detection_score", "source"],
            "properties": {
                "text": {"type": "string", "example": "С181МВ190"},
                "text_latin": {"type": "string", "example": "C181MB190"},
                "region": {"type": "string", "nullable": True, "example": "190"},
                "confidence": number01,
                "box": {"type": "array", "items": {"type": "integer"}, "minItems": 4,
                        "maxItems": 4},
                "format": {"type": "string", "nullable": True,
                           "enum": ["private", "taxi", "trailer", "police", "transit", None]},
                "valid": {"type": "boolean"},
                "char_confidences": {"type": "array", "items": number01},
                "detection_score": {**number01, "nullable": True},
                "source": {"type": "string", "enum": ["crop", "scene"]},
            },
        },
        "Recognition": {
            "type": "object",
            "required": ["image_id", "status", "plate", "plates", "mode", "image_size"],
            "properties": {
                "image_id": {**image_id, "nullable": True},
                "status": {"type": "string", "enum": ["ok"]},
                "plate": {"type": "string", "nullable": True,
                          "description": "Best reading, null when no plate was found"},
                "plates": {"type": "array", "items": _ref("Plate")},
                "mode": {"type": "string", "enum": ["crop", "scene"]},
                "image_size": {"type": "array", "items": {"type": "integer"},
                               "minItems": 2, "maxItems": 2},
                "cached": {"type": "boolean"},
                "timings_ms": {
                    "type": "object",
                    "properties": {"download": {"type": "number"},
                                   "recognition": {"type": "number"}},
                },
            },
        },
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
            "version": "0.1.0",
            "description": "Reads Russian licence plates (GOST R 50577) from images, "
                           "offline. Errors share one shape: {\"error\": {...}}.",
        },
        "paths": {
            "/plate/{image_id}": {"get": {
                "summary": "Read the plate on one image from the provider",
                "operationId": "readPlate",
                "parameters": [image_id_param, _MODE_PARAM],
                "responses": {
                    "200": _json(_ref("Recognition"), "Recognition result"),
                    **_errors(INVALID_IMAGE_ID, BAD_REQUEST, *_PROVIDER_ERRORS,
                              *_IMAGE_ERRORS),
                },
            }},
            "/plates": {"post": {
                "summary": "Read plates on many images; errors are reported per item",
                "operationId": "readPlates",
                "parameters": [_MODE_PARAM],
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
                "parameters": [_MODE_PARAM],
                "requestBody": {"required": True, "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in UPLOAD_CONTENT_TYPES}},
                "responses": {
                    "200": _json(_ref("Recognition"), "Recognition result (image_id null)"),
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
