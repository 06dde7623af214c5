"""Request handlers: parse, call the service, render. No business logic lives here."""

from __future__ import annotations

import os
from collections.abc import Sequence

from aiohttp import web

from prometheus_client import CONTENT_TYPE_LATEST

from plate_service.answers import AnswerOptions
from plate_service.errors import BadRequestError
from plate_service.service import ImageOutcome

from plate_service.web import keys
from plate_service.web.openapi import build_openapi
from plate_service.web.requests import (
    OutputFormat,
    parse_answer_options,
    parse_format,
    parse_image_id,
    parse_mode,
    read_batch_ids,
    read_upload,
)
from plate_service.web.responses import json_response, outcome_json


def _note_upstream(request: web.Request, outcomes: Sequence[ImageOutcome]) -> None:
    """Upstream statuses for the access log: 200, the error's status, or None if cached."""
    request["upstream_statuses"] = [
        getattr(o.error, "upstream_status", None) if o.error is not None
        else (None if o.cached else 200)
        for o in outcomes
    ]


async def read_plate(request: web.Request) -> web.Response:
    """GET /plate/{image_id}: one image from the provider."""
    limits = request.app[keys.CONFIG].limits
    image_id = parse_image_id(request.match_info["image_id"], limits)
    mode = parse_mode(request)
    options = parse_answer_options(request)
    output_format = parse_format(request)
    request["image_ids"] = [image_id]
    (outcome,) = await request.app[keys.SERVICE].read_ids(
        [image_id], mode, draw=output_format == "jpeg")
    _note_upstream(request, [outcome])
    if outcome.error is not None:
        raise outcome.error
    return _single_answer(outcome, output_format, options)


async def read_plates(request: web.Request) -> web.Response:
    """POST /plates: many images; per-item errors, results in request order."""
    limits = request.app[keys.CONFIG].limits
    mode = parse_mode(request)
    options = parse_answer_options(request)
    if parse_format(request) != "json":
        raise BadRequestError("POST /plates answers JSON only; a drawn image comes from "
                              "GET /plate/{image_id} or POST /recognize with format=jpeg")
    image_ids = await read_batch_ids(request, limits)
    request["image_ids"] = image_ids
    outcomes = await request.app[keys.SERVICE].read_ids(image_ids, mode)
    _note_upstream(request, outcomes)
    return json_response({"results": [outcome_json(outcome, options) for outcome in outcomes]})


async def recognize(request: web.Request) -> web.Response:
    """POST /recognize: the client's own image, as the raw body or a form's image field."""
    limits = request.app[keys.CONFIG].limits
    mode = parse_mode(request)
    options = parse_answer_options(request)
    output_format = parse_format(request)
    outcome = await request.app[keys.SERVICE].read_upload(
        lambda: read_upload(request, limits), mode, draw=output_format == "jpeg")
    return _single_answer(outcome, output_format, options)


def _single_answer(outcome: ImageOutcome, output_format: OutputFormat,
                   options: AnswerOptions) -> web.Response:
    """The JSON result, or (``?format=jpeg``) the image with its plates drawn."""
    if output_format == "jpeg":
        assert outcome.annotated_jpeg is not None
        return web.Response(body=outcome.annotated_jpeg, content_type="image/jpeg")
    return json_response(outcome_json(outcome, options))


async def health(request: web.Request) -> web.Response:
    """GET /health: the process is alive and its event loop answers."""
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """GET /ready: 200 while this worker takes work, 503 while its queue is full.

    A worker answers only once its models are loaded (a model that fails to load stops
    the start), so what can change while it runs is whether it admits new images.
    """
    service = request.app[keys.SERVICE]
    recognizer = request.app[keys.RECOGNIZER]
    body = {"status": "ready" if service.accepting else "overloaded",
            "detector": recognizer.has_detector,
            "pending_recognitions": service.pending,
            "pid": os.getpid()}  # with WORKERS > 1, which worker answered
    return json_response(body, status=200 if service.accepting else 503)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text exposition format."""
    return web.Response(body=request.app[keys.METRICS].render(),
                        headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    """GET /openapi.json: the API description the docs page and the fuzz tests use."""
    return json_response(build_openapi(request.app[keys.CONFIG]))
