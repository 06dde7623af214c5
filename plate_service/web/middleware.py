"""Request IDs and the single JSON error shape for every failure, expected or not."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from plate_service.errors import OverloadedError, PlateServiceError
from plate_service.web.error_table import status_and_code
from plate_service.web.responses import error_body, exception_body, json_response

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_MAX_REQUEST_ID_LENGTH = 128

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _request_id(request: web.Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if given and len(given) <= _MAX_REQUEST_ID_LENGTH and given.isprintable():
        return given
    return uuid.uuid4().hex


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every error as ``{"error": {...}}``; log unexpected ones with the traceback."""
    request_id = _request_id(request)
    request["request_id"] = request_id
    try:
        response = await handler(request)
    except PlateServiceError as exc:
        status, code = status_and_code(exc)
        body = exception_body(exc)
        body["error"]["request_id"] = request_id
        headers = {}
        if isinstance(exc, OverloadedError):
            headers["Retry-After"] = str(exc.retry_after_s)
        if status >= 500:
            logger.warning("%s %s -> %d %s: %s", request.method, request.path, status, code,
                           exc.message)
        response = json_response(body, status=status, headers=headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.reason if exc.text is None or exc.text.startswith(str(exc.status)) \
            else exc.text
        extra = {}
        if exc.status == 405 and isinstance(exc, web.HTTPMethodNotAllowed):
            extra["allowed_methods"] = sorted(exc.allowed_methods)
        body = error_body(code, message, exc.status, request_id=request_id, **extra)
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        response = json_response(body, status=exc.status, headers=headers)
    except Exception:
        logger.exception("unexpected error on %s %s (request %s)", request.method,
                         request.path, request_id)
        body = error_body("internal_error", "internal server error", 500,
                          request_id=request_id)
        response = json_response(body, status=500)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response
