"""The OpenAPI 3.0 description of the API, served at /openapi.json and checked by the tests."""

from __future__ import annotations

from typing import Any

from plate_service.config import Config

_ERROR_CODES = [
    "bad_request", "invalid_image_id", "batch_too_large", "payload_too_large",
    "unsupported_media_type", "image_not_found", "provider_timeout", "provider_unavailable",
    "provider_error", "invalid_image", "image_too_large", "overloaded", "not_found",
    "method_not_allowed", "internal_error", "recognition_error", "model_unavailable",
    "inference_error", "config_error", "http_error",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("ErrorResponse"), description)


_MODE_PARAM = {
    "name": "mode", "in": "query", "required": False,
    "description": "auto: decide from the image; crop: the image is a tight plate; "
                   "scene: search the photo for plates",
    "schema": {"type": "string", "enum": ["auto", "crop", "scene"], "default": "auto"},
}

_PROVIDER_ERRORS = {
    "404": _error("The provider has no such image (image_not_found)"),
    "422": _error("The provider's body is not a usable image (invalid_image, "
                  "image_too_large)"),
    "502": _error("The provider failed (provider_unavailable, provider_error)"),
    "504": _error("The provider did not answer in time (provider_timeout)"),
}

_COMMON_ERRORS = {
    "500": _error("Unexpected failure (internal_error); details are in the log only"),
    "503": _error("Recognition queue full (overloaded, with Retry-After)"),
}


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
                "code": {"type": "string", "enum": _ERROR_CODES},
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


_READY = {"type": "object", "required": ["status", "detector", "pending_recognitions"],
          "properties": {"status": {"type": "string", "enum": ["ready", "overloaded"]},
                         "detector": {"type": "boolean"},
                         "pending_recognitions": {"type": "integer"}}}


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
                    "400": _error("Bad image ID or mode (invalid_image_id, bad_request)"),
                    **_PROVIDER_ERRORS, **_COMMON_ERRORS,
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
                    "400": _error("Malformed request (bad_request, invalid_image_id)"),
                    "413": _error("Too many IDs or too large a body (batch_too_large, "
                                  "payload_too_large)"),
                    **_COMMON_ERRORS,
                },
            }},
            "/recognize": {"post": {
                "summary": "Read plates on an uploaded image",
                "operationId": "recognize",
                "parameters": [_MODE_PARAM],
                "requestBody": {"required": True, "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in ("image/jpeg", "image/png", "application/octet-stream")}},
                "responses": {
                    "200": _json(_ref("Recognition"), "Recognition result (image_id null)"),
                    "400": _error("Empty body or bad mode (bad_request)"),
                    "413": _error("Body over the limit (payload_too_large)"),
                    "415": _error("Not an image content type (unsupported_media_type)"),
                    "422": _error("Not a usable image (invalid_image, image_too_large)"),
                    **_COMMON_ERRORS,
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
