"""Request IDs and the single JSON error shape for every failure, expected or not."""

from __future__ import annotations

import logging
import time
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from plate_service.error_codes import code_for_exception, code_for_http_status
from plate_service.errors import OverloadedError, PlateServiceError
from plate_service.web import keys
from plate_service.web.responses import error_body, exception_body, json_response

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("plate_service.access")

REQUEST_ID_HEADER = "X-Request-ID"
_MAX_REQUEST_ID_LENGTH = 128

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _request_id(request: web.Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if given and len(given) <= _MAX_REQUEST_ID_LENGTH and given.isprintable():
        return given
    # 128 random bits as 32 hex digits, like uuid4().hex, without its system call per
    # request: an ID only has to be unique, not secret (``random`` reseeds in a fork).
    return f"{random.getrandbits(128):032x}"


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One JSON log line and the request metrics for every request."""
    started = time.perf_counter()
    response = await handler(request)
    seconds = time.perf_counter() - started
    route = _route(request)
    request.app[keys.METRICS].request_finished(request.method, route, response.status, seconds)
    if not access_logger.isEnabledFor(logging.INFO):
        return response
    fields = {
        "request_id": request.get("request_id"),
        "method": request.method,
        "route": route,
        "path": request.path[:200],
        "status": response.status,
        "duration_ms": round(seconds * 1000, 2),
        "image_ids": request.get("image_ids"),
        "upstream_statuses": request.get("upstream_statuses"),
        "error_code": request.get("error_code"),
    }
    access_logger.info("%s %s %d", request.method, route, response.status,
                       extra={"fields": {k: v for k, v in fields.items() if v is not None}})
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every error as ``{"error": {...}}``; log unexpected ones with the traceback."""
    request_id = _request_id(request)
    request["request_id"] = request_id
    try:
        response = await handler(request)
    except PlateServiceError as exc:
        error_code = code_for_exception(exc)
        status, code = error_code.http_status, error_code.code
        body = exception_body(exc)
        body["error"]["request_id"] = request_id
        headers = {}
        if isinstance(exc, OverloadedError):
            headers["Retry-After"] = str(exc.retry_after_s)
        if status >= 500:
            logger.warning("%s %s -> %d %s: %s", request.method, request.path, status, code,
                           exc.message)
        request["error_code"] = code
        response = json_response(body, status=status, headers=headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = code_for_http_status(exc.status).code
        message = exc.reason if exc.text is None or exc.text.startswith(str(exc.status)) \
            else exc.text
        extra = {}
        if exc.status == 405 and isinstance(exc, web.HTTPMethodNotAllowed):
            extra["allowed_methods"] = sorted(exc.allowed_methods)
        request["error_code"] = code
        body = error_body(code, message, exc.status, request_id=request_id, **extra)
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        response = json_response(body, status=exc.status, headers=headers)
    except Exception:
        logger.exception("unexpected error on %s %s (request %s)", request.method,
                         request.path, request_id)
        request["error_code"] = "internal_error"
        body = error_body("internal_error", "internal server error", 500,
                          request_id=request_id)
        response = json_response(body, status=500)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response
