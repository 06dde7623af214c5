"""The try-it page at /: one static page (package data, no CDN) that calls the API."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).with_name("try-it")
STATIC_PREFIX = "/static"


async def try_it_page(request: web.Request) -> web.FileResponse:
    """GET /: read an image by ID or upload one, and see what the service sees."""
    return web.FileResponse(STATIC_DIR / "index.html")


def setup_try_it(app: web.Application) -> None:
    app.router.add_get("/", try_it_page)
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="try_it_static")
