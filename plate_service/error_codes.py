"""The API's stable error codes, written once: each with its HTTP status and meaning.

The server's error answers (``plate_service.web.middleware``), the OpenAPI document, the
table in docs/api.md (checked by a test) and the Python client's exception classes
(``plate_service.api_client``) all derive from ``ERROR_CODES`` and ``EXCEPTION_CODES``.
Only ``plate_service.errors`` is imported, so every layer and the client may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plate_service import errors


@dataclass(frozen=True)
class ErrorCode:
    """One stable error code of the API.

    ``names_http_status`` marks the code that also names aiohttp's own errors with that
    status (an unknown route, a wrong method, a body over the size limit), so that those
    answers carry a code from this table too.
    """

    code: str
    http_status: int
    meaning: str
    names_http_status: bool = False


INTERNAL_ERROR = ErrorCode(
    "internal_error", 500, "anything unexpected (logged with traceback, never in the body)")
BAD_REQUEST = ErrorCode(
    "bad_request", 400,
    "malformed request: bad JSON, wrong shape, empty list, unknown `mode` or `format`, "
    "`format=jpeg` on a batch, `top_n` or `min_confidence` out of range, a form without an "
    "`image` field",
    names_http_status=True)
INVALID_IMAGE_ID = ErrorCode(
    "invalid_image_id", 400, "image ID not a non-negative integer (or absurdly large)")
BATCH_TOO_LARGE = ErrorCode("batch_too_large", 413, "more IDs than the batch limit")
PAYLOAD_TOO_LARGE = ErrorCode(
    "payload_too_large", 413, "request body larger than the limit", names_http_status=True)
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type", 415,
    "upload with a non-image Content-Type, or a request body with a Content-Encoding",
    names_http_status=True)
IMAGE_NOT_FOUND = ErrorCode("image_not_found", 404, "provider answered 404")
PROVIDER_TIMEOUT = ErrorCode(
    "provider_timeout", 504, "provider did not answer in time (connect or read)")
PROVIDER_UNAVAILABLE = ErrorCode(
    "provider_unavailable", 502, "provider unreachable (refused, DNS, reset)")
PROVIDER_ERROR = ErrorCode(
    "provider_error", 502, "provider answered 5xx or another unexpected status")
INVALID_IMAGE = ErrorCode(
    "invalid_image", 422, "body is not a decodable image (HTML, empty, truncated)")
IMAGE_TOO_LARGE = ErrorCode(
    "image_too_large", 422,
    "body larger than the limit, or image dimensions beyond the limit")
RECOGNITION_ERROR = ErrorCode("recognition_error", 500, "the models failed")
MODEL_UNAVAILABLE = ErrorCode("model_unavailable", 503, "the models are not loaded")
INFERENCE_ERROR = ErrorCode("inference_error", 500, "onnxruntime failed while running")
OVERLOADED = ErrorCode("overloaded", 503, "too many images pending: the request's new "
                       "images would pass `MAX_PENDING_RECOGNITIONS`; nothing was downloaded "
                       "(with `Retry-After`)")
CONFIG_ERROR = ErrorCode("config_error", 500, "a setting has a bad value")
NOT_FOUND = ErrorCode("not_found", 404, "unknown route", names_http_status=True)
METHOD_NOT_ALLOWED = ErrorCode(
    "method_not_allowed", 405, "wrong method for the route (with `Allow`)",
    names_http_status=True)
HTTP_ERROR = ErrorCode(
    "http_error", 400, "any other refusal by the HTTP layer (answered with its own 4xx status)")

# Every code, in the order the table of docs/api.md lists them.
ERROR_CODES: tuple[ErrorCode, ...] = (
    INVALID_IMAGE_ID, BAD_REQUEST, BATCH_TOO_LARGE, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE,
    NOT_FOUND, METHOD_NOT_ALLOWED, IMAGE_NOT_FOUND, PROVIDER_TIMEOUT, PROVIDER_UNAVAILABLE,
    PROVIDER_ERROR, INVALID_IMAGE, IMAGE_TOO_LARGE, OVERLOADED, MODEL_UNAVAILABLE,
    RECOGNITION_ERROR, INFERENCE_ERROR, CONFIG_ERROR, INTERNAL_ERROR, HTTP_ERROR,
)

# Each exception class of ``plate_service.errors`` and the code it is answered with.
EXCEPTION_CODES: dict[type[errors.PlateServiceError], ErrorCode] = {
    errors.PlateServiceError: INTERNAL_ERROR,
    errors.BadRequestError: BAD_REQUEST,
    errors.InvalidImageIdError: INVALID_IMAGE_ID,
    errors.BatchTooLargeError: BATCH_TOO_LARGE,
    errors.PayloadTooLargeError: PAYLOAD_TOO_LARGE,
    errors.UnsupportedMediaTypeError: UNSUPPORTED_MEDIA_TYPE,
    errors.UpstreamError: PROVIDER_ERROR,
    errors.ImageNotFoundError: IMAGE_NOT_FOUND,
    errors.UpstreamTimeoutError: PROVIDER_TIMEOUT,
    errors.UpstreamUnavailableError: PROVIDER_UNAVAILABLE,
    errors.UpstreamBadStatusError: PROVIDER_ERROR,
    errors.ImageError: INVALID_IMAGE,
    errors.InvalidImageError: INVALID_IMAGE,
    errors.ImageTooLargeError: IMAGE_TOO_LARGE,
    errors.RecognitionError: RECOGNITION_ERROR,
    errors.ModelLoadError: MODEL_UNAVAILABLE,
    errors.InferenceError: INFERENCE_ERROR,
    errors.OverloadedError: OVERLOADED,
    errors.ConfigError: CONFIG_ERROR,
}


def code_for_exception(exc: errors.PlateServiceError) -> ErrorCode:
    """The code of the most specific class in the exception's ancestry."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_CODES:
            return EXCEPTION_CODES[cls]
    return INTERNAL_ERROR


def code_for_http_status(status: int) -> ErrorCode:
    """The code for an HTTP error that aiohttp raised itself (routing, body size)."""
    for error_code in ERROR_CODES:
        if error_code.names_http_status and error_code.http_status == status:
            return error_code
    return HTTP_ERROR


def parent_code(code: str) -> str | None:
    """The broader code a code refines (``provider_timeout`` -> ``provider_error``).

    Derived from the exception tree: the code of the nearest ancestor class that has a
    different code, below the root. Codes of root-level families have no parent.
    """
    for cls, error_code in EXCEPTION_CODES.items():
        if error_code.code != code:
            continue
        for ancestor in cls.__mro__[1:]:
            if ancestor is errors.PlateServiceError or ancestor not in EXCEPTION_CODES:
                break
            if EXCEPTION_CODES[ancestor].code != code:
                return EXCEPTION_CODES[ancestor].code
    return None


def error_object(exc: errors.PlateServiceError) -> dict[str, Any]:
    """The ``error`` object shared by every error answer and every failed batch item."""
    error_code = code_for_exception(exc)
    payload: dict[str, Any] = {"code": error_code.code, "message": exc.message,
                               "http_status": error_code.http_status}
    upstream_status = getattr(exc, "upstream_status", None)
    if upstream_status is not None:
        payload["upstream_status"] = upstream_status
    limit = getattr(exc, "limit", None)
    if limit is not None:
        payload["limit"] = limit
    return payload
