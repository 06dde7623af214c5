"""The demo provider's HTTP app: ``GET /images/{id}`` like the real upstream, plus a list."""

from __future__ import annotations

import asyncio
import json
from functools import partial

from aiohttp import web

from demo_provider.images import StoredImage

IMAGES = web.AppKey("images", dict)
OPTIONS = web.AppKey("options", dict)


async def get_image(request: web.Request) -> web.Response:
    """The image bytes for an integer ID, or 404 like the real provider."""
    options = request.app[OPTIONS]
    if options["latency_s"]:
        await asyncio.sleep(options["latency_s"])
    images: dict[int, StoredImage] = request.app[IMAGES]
    image_id = int(request.match_info["image_id"])
    if options["cycle"] and images:
        ids = sorted(images)
        image_id = ids[image_id % len(ids)]
    stored = images.get(image_id)
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


def create_demo_app(images: dict[int, StoredImage], *, latency_s: float = 0.0,
                    cycle: bool = False) -> web.Application:
    """``latency_s`` delays every image answer; ``cycle`` makes every ID exist (ID modulo
    the number of images), as load tests need many distinct IDs."""
    app = web.Application()
    app[IMAGES] = images
    app[OPTIONS] = {"latency_s": latency_s, "cycle": cycle}
    app.router.add_get(r"/images/{image_id:\d+}", get_image)
    app.router.add_get("/images", list_images)
    return app
