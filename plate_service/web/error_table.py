"""The one place that maps each exception class to an HTTP status and a stable error code."""

from __future__ import annotations

from typing import Any

from plate_service import errors

ERROR_TABLE: dict[type[errors.PlateServiceError], tuple[int, str]] = {
    errors.PlateServiceError: (500, "internal_error"),
    errors.BadRequestError: (400, "bad_request"),
    errors.InvalidImageIdError: (400, "invalid_image_id"),
    errors.BatchTooLargeError: (413, "batch_too_large"),
    errors.PayloadTooLargeError: (413, "payload_too_large"),
    errors.UnsupportedMediaTypeError: (415, "unsupported_media_type"),
    errors.UpstreamError: (502, "provider_error"),
    errors.ImageNotFoundError: (404, "image_not_found"),
    errors.UpstreamTimeoutError: (504, "provider_timeout"),
    errors.UpstreamUnavailableError: (502, "provider_unavailable"),
    errors.UpstreamBadStatusError: (502, "provider_error"),
    errors.ImageError: (422, "invalid_image"),
    errors.InvalidImageError: (422, "invalid_image"),
    errors.ImageTooLargeError: (422, "image_too_large"),
    errors.RecognitionError: (500, "recognition_error"),
    errors.ModelLoadError: (503, "model_unavailable"),
    errors.InferenceError: (500, "inference_error"),
    errors.OverloadedError: (503, "overloaded"),
    errors.ConfigError: (500, "config_error"),
}


def status_and_code(exc: errors.PlateServiceError) -> tuple[int, str]:
    """Most specific table entry for the exception's class."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return 500, "internal_error"


def error_payload(exc: errors.PlateServiceError) -> dict[str, Any]:
    """The ``error`` object shared by every error response and every failed batch item."""
    status, code = status_and_code(exc)
    payload: dict[str, Any] = {"code": code, "message": exc.message, "http_status": status}
    upstream_status = getattr(exc, "upstream_status", None)
    if upstream_status is not None:
        payload["upstream_status"] = upstream_status
    limit = getattr(exc, "limit", None)
    if limit is not None:
        payload["limit"] = limit
    return payload
