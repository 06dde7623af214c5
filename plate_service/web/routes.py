"""URL map of the API; only wiring, handlers live in handlers.py."""

from __future__ import annotations

from aiohttp import web

from plate_service.web import handlers
from plate_service.web.docs import setup_docs
from plate_service.web.try_it import setup_try_it


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/plate/{image_id}", handlers.read_plate, allow_head=False)
    app.router.add_post("/plates", handlers.read_plates)
    app.router.add_post("/recognize", handlers.recognize)
    app.router.add_get("/health", handlers.health)
    app.router.add_get("/ready", handlers.ready)
    app.router.add_get("/metrics", handlers.metrics)
    app.router.add_get("/openapi.json", handlers.openapi)
    setup_docs(app)
    setup_try_it(app)
