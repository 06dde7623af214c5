"""Request handlers: parse, call the service, render. No business logic lives here."""

from __future__ import annotations

from aiohttp import web

from plate_service.web import keys
from plate_service.web.requests import parse_image_id, parse_mode, read_batch_ids, read_upload
from plate_service.web.responses import json_response, outcome_json


async def read_plate(request: web.Request) -> web.Response:
    """GET /plate/{image_id}: one image from the provider."""
    limits = request.app[keys.CONFIG].limits
    image_id = parse_image_id(request.match_info["image_id"], limits)
    mode = parse_mode(request)
    (outcome,) = await request.app[keys.SERVICE].read_ids([image_id], mode)
    if outcome.error is not None:
        raise outcome.error
    return json_response(outcome_json(outcome))


async def read_plates(request: web.Request) -> web.Response:
    """POST /plates: many images; per-item errors, results in request order."""
    limits = request.app[keys.CONFIG].limits
    mode = parse_mode(request)
    image_ids = await read_batch_ids(request, limits)
    outcomes = await request.app[keys.SERVICE].read_ids(image_ids, mode)
    return json_response({"results": [outcome_json(outcome) for outcome in outcomes]})


async def recognize(request: web.Request) -> web.Response:
    """POST /recognize: the client's own image bytes."""
    limits = request.app[keys.CONFIG].limits
    mode = parse_mode(request)
    data = await read_upload(request, limits)
    outcome = await request.app[keys.SERVICE].read_bytes(data, mode)
    return json_response(outcome_json(outcome))


async def health(request: web.Request) -> web.Response:
    """GET /health: the process is alive and its event loop answers."""
    return json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """GET /ready: models are loaded and the service can take work."""
    service = request.app.get(keys.SERVICE)
    recognizer = request.app.get(keys.RECOGNIZER)
    if service is None or recognizer is None:
        return json_response({"status": "starting"}, status=503)
    return json_response({
        "status": "ready",
        "detector": recognizer.has_detector,
        "pending_recognitions": service.pending,
    })
