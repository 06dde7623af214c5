"""Validation of what clients send: image IDs, batch bodies, modes, answer options, uploads."""

from __future__ import annotations

import json
from typing import Any, Literal, cast, get_args

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from plate_service.answers import (
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_TOP_N,
    MAX_TOP_N,
    AnswerOptions,
)
from plate_service.config import LimitsConfig
from plate_service.errors import (
    BadRequestError,
    BatchTooLargeError,
    InvalidImageIdError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from plate_service.recognition.types import DEFAULT_MODE, MODES, RecognitionMode

OutputFormat = Literal["json", "jpeg"]
"""What a single-image answer is: the JSON result, or the image with its plates drawn."""
FORMATS: tuple[str, ...] = get_args(OutputFormat)
# What POST /recognize accepts as a raw body; the OpenAPI document lists the same.
UPLOAD_CONTENT_TYPES: tuple[str, ...] = (
    "image/jpeg", "image/jpg", "image/png", "image/bmp", "image/webp",
    "application/octet-stream",
)
FORM_CONTENT_TYPE = "multipart/form-data"
FORM_IMAGE_FIELD = "image"
# Room for a form's boundaries, part headers and small fields around the image.
FORM_OVERHEAD_BYTES = 64 * 1024


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
    mode = request.query.get("mode", DEFAULT_MODE)
    if mode not in MODES:
        raise BadRequestError(f"mode must be one of {', '.join(MODES)}, got {mode[:40]!r}")
    return cast(RecognitionMode, mode)


def parse_answer_options(request: web.Request) -> AnswerOptions:
    """``top_n`` and ``min_confidence`` from the query string (their ranges: AnswerOptions)."""
    raw_top_n = request.query.get("top_n", str(DEFAULT_TOP_N))
    if not (raw_top_n.isascii() and raw_top_n.isdigit()) or len(raw_top_n) > 3:
        raise BadRequestError(
            f"top_n must be an integer from 0 to {MAX_TOP_N}, got {raw_top_n[:40]!r}")
    raw_min = request.query.get("min_confidence", str(DEFAULT_MIN_CONFIDENCE))
    try:
        min_confidence = float(raw_min)
    except ValueError:
        raise BadRequestError(
            f"min_confidence must be a number from 0 to 1, got {raw_min[:40]!r}") from None
    return AnswerOptions(top_n=int(raw_top_n), min_confidence=min_confidence)


def parse_format(request: web.Request) -> OutputFormat:
    """``?format=`` of a single-image request; JSON unless the client asks for the image."""
    output_format = request.query.get("format", "json")
    if output_format not in FORMATS:
        raise BadRequestError(
            f"format must be one of {', '.join(FORMATS)}, got {output_format[:40]!r}")
    return cast(OutputFormat, output_format)


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
    """Image bytes of ``POST /recognize``: the raw body, or a form's ``image`` field."""
    if request.content_type == FORM_CONTENT_TYPE:
        return await _read_form_image(request, limits.max_image_bytes)
    if request.content_type not in UPLOAD_CONTENT_TYPES:
        raise UnsupportedMediaTypeError(
            f"Content-Type {request.content_type!r} is not accepted; send the raw image "
            f"as one of {', '.join(UPLOAD_CONTENT_TYPES)}")
    data = await _read_body(request, limits.max_image_bytes)
    if not data:
        raise BadRequestError("request body is empty; send the image bytes")
    return data


async def _read_form_image(request: web.Request, limit: int) -> bytes:
    """The ``image`` field of a multipart form, under the same limits as a raw upload.

    The other fields are read and dropped; the form as a whole may exceed the image limit
    only by FORM_OVERHEAD_BYTES, so that no field smuggles in an unbounded body.
    """
    _check_body_size(request, limit + FORM_OVERHEAD_BYTES)
    try:
        reader = await request.multipart()
        budget = limit + FORM_OVERHEAD_BYTES
        image: bytes | None = None
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequestError("nested multipart forms are not accepted")
            if part.name == FORM_IMAGE_FIELD and image is None:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                if content_type.split(";")[0].strip().lower() not in UPLOAD_CONTENT_TYPES:
                    raise UnsupportedMediaTypeError(
                        f"form field {FORM_IMAGE_FIELD!r} has Content-Type "
                        f"{content_type[:60]!r}; send an image/jpeg, image/png, image/bmp "
                        "or image/webp file")
                image = await _read_part(part, limit)
                budget -= len(image)
            else:
                budget -= len(await _read_part(part, budget))
    except (ValueError, HttpProcessingError) as exc:  # no boundary, broken part headers
        raise BadRequestError(f"malformed multipart form: {str(exc)[:200]}") from exc
    if image is None:
        raise BadRequestError(f"the form has no field named {FORM_IMAGE_FIELD!r}; send the "
                              f"image as -F {FORM_IMAGE_FIELD}=@car.jpg")
    if not image:
        raise BadRequestError(f"form field {FORM_IMAGE_FIELD!r} is empty")
    return image


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data.extend(chunk)
        if len(data) > limit:
            raise PayloadTooLargeError(
                f"form field {str(part.name)[:40]!r} exceeds the {limit} byte limit",
                limit=limit)
    return bytes(data)


def _check_body_size(request: web.Request, limit: int) -> None:
    """Refuse a compressed body, or one whose declared length is over ``limit``."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Inflating it would come before any size check: a small gzip bomb could cost
        # tens of MB (the app keeps aiohttp from decoding bodies, see ``create_app``).
        # RFC 9110 section 15.5.16: 415 for an unacceptable content coding.
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {encoding[:40]!r} is not accepted; send the body uncompressed")
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(
            f"request body is {request.content_length} bytes; the limit is {limit}",
            limit=limit)


async def _read_body(request: web.Request, limit: int) -> bytes:
    _check_body_size(request, limit)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            raise PayloadTooLargeError(f"request body exceeds the {limit} byte limit",
                                       limit=limit)
    return bytes(body)
