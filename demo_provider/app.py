"""The demo provider's HTTP app: ``GET /images/{id}`` like the real upstream, plus a list."""

from __future__ import annotations

import json
from functools import partial

from aiohttp import web

from demo_provider.images import StoredImage

IMAGES = web.AppKey("images", dict)


async def get_image(request: web.Request) -> web.Response:
    """The image bytes for an integer ID, or 404 like the real provider."""
    stored = request.app[IMAGES].get(int(request.match_info["image_id"]))
    if stored is None:
        raise web.HTTPNotFound(text="no such image")
    return web.Response(body=stored.data, content_type=stored.media_type)


async def list_images(request: web.Request) -> web.Response:
    """Which IDs exist and, when known, the plate each one shows."""
    images: dict[int, StoredImage] = request.app[IMAGES]
    return web.json_response(
        {"images": [{"image_id": image_id, "plate_latin": stored.text_latin}
                    for image_id, stored in sorted(images.items())]},
        dumps=partial(json.dumps, ensure_ascii=False))


def create_demo_app(images: dict[int, StoredImage]) -> web.Application:
    app = web.Application()
    app[IMAGES] = images
    app.router.add_get(r"/images/{image_id:\d+}", get_image)
    app.router.add_get("/images", list_images)
    return app
