"""Validation of what clients send: image IDs, batch bodies, modes and uploads."""

from __future__ import annotations

import json
from typing import Any, cast, get_args

from aiohttp import web

from plate_service.config import LimitsConfig
from plate_service.errors import (
    BadRequestError,
    BatchTooLargeError,
    InvalidImageIdError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from plate_service.recognition.types import RecognitionMode

MODES: tuple[str, ...] = get_args(RecognitionMode)
# What POST /recognize accepts as a raw body; the OpenAPI document lists the same.
UPLOAD_CONTENT_TYPES: tuple[str, ...] = (
    "image/jpeg", "image/jpg", "image/png", "image/bmp", "image/webp",
    "application/octet-stream",
)


def parse_image_id(raw: object, limits: LimitsConfig) -> int:
    """A non-negative integer ID no larger than the limit; strings only as plain digits."""
    if isinstance(raw, bool):
        raise InvalidImageIdError(f"image ID must be an integer, got {json.dumps(raw)}")
    if isinstance(raw, str):
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
            raise InvalidImageIdError(
                f"image ID must be a non-negative integer, got {raw[:40]!r}")
        value = int(raw)
    elif isinstance(raw, int):
        value = raw
    else:
        raise InvalidImageIdError(
            f"image ID must be an integer, got {type(raw).__name__}")
    if value < 0 or value > limits.max_image_id:
        raise InvalidImageIdError(
            f"image ID must be between 0 and {limits.max_image_id}, got {value}")
    return value


def parse_mode(request: web.Request) -> RecognitionMode:
    mode = request.query.get("mode", "auto")
    if mode not in MODES:
        raise BadRequestError(f"mode must be one of {', '.join(MODES)}, got {mode[:40]!r}")
    return cast(RecognitionMode, mode)


async def read_batch_ids(request: web.Request, limits: LimitsConfig) -> list[int]:
    """The ``image_ids`` of a ``POST /plates`` body, validated."""
    body = await _read_body(request, limits.max_request_bytes)
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError, UnicodeDecodeError and integer literals past
        # Python's digit limit; RecursionError covers absurdly deep nesting.
        raise BadRequestError(f"request body is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(payload, dict) or "image_ids" not in payload:
        raise BadRequestError('request body must be a JSON object {"image_ids": [...]}')
    ids = payload["image_ids"]
    if not isinstance(ids, list):
        raise BadRequestError("image_ids must be a list of integers")
    if not ids:
        raise BadRequestError("image_ids must not be empty")
    if len(ids) > limits.max_batch_size:
        raise BatchTooLargeError(
            f"image_ids lists {len(ids)} IDs; the limit is {limits.max_batch_size}",
            limit=limits.max_batch_size)
    return [_batch_id(raw, index, limits) for index, raw in enumerate(ids)]


def _batch_id(raw: object, index: int, limits: LimitsConfig) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidImageIdError(f"image_ids[{index}] must be an integer")
    try:
        return parse_image_id(raw, limits)
    except InvalidImageIdError as exc:
        raise InvalidImageIdError(f"image_ids[{index}]: {exc.message}") from exc


async def read_upload(request: web.Request, limits: LimitsConfig) -> bytes:
    """Raw image bytes of ``POST /recognize``."""
    if request.content_type not in UPLOAD_CONTENT_TYPES:
        raise UnsupportedMediaTypeError(
            f"Content-Type {request.content_type!r} is not accepted; send the raw image "
            f"as one of {', '.join(UPLOAD_CONTENT_TYPES)}")
    data = await _read_body(request, limits.max_image_bytes)
    if not data:
        raise BadRequestError("request body is empty; send the image bytes")
    return data


async def _read_body(request: web.Request, limit: int) -> bytes:
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # aiohttp would inflate it before any size check: a small gzip bomb could cost
        # tens of MB. RFC 9110 section 15.5.16: 415 for an unacceptable content coding.
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {encoding[:40]!r} is not accepted; send the body uncompressed")
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(
            f"request body is {request.content_length} bytes; the limit is {limit}",
            limit=limit)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLargeError(f"request body exceeds the {limit} byte limit",
                                       limit=limit)
    return bytes(body)
