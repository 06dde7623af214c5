"""/openapi.json describes exactly the routes the app serves, and /docs works offline."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from plate_service.app import create_app
from plate_service.config import Config
from plate_service.web.openapi import build_openapi
from tests.fakes import fake_recognizer

UNDOCUMENTED = {"/openapi.json", "/docs", "/"}  # pages and the spec itself


def _served_routes() -> set[tuple[str, str]]:
    app = create_app(Config(), recognizer_factory=lambda _: fake_recognizer())
    routes = set()
    for route in app.router.routes():
        if route.method in {"HEAD", "*"} or route.resource is None:
            continue
        path = route.resource.canonical
        if path in UNDOCUMENTED or path.startswith(("/docs/", "/static")):
            continue
        routes.add((route.method.lower(), path))
    return routes


def test_spec_and_routes_agree() -> None:
    spec = build_openapi(Config())
    documented = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert documented == _served_routes()


def test_single_image_operations_list_the_jpeg_answer() -> None:
    paths = build_openapi(Config())["paths"]
    for path, method in (("/plate/{image_id}", "get"), ("/recognize", "post")):
        operation = paths[path][method]
        assert set(operation["responses"]["200"]["content"]) == {"application/json",
                                                                 "image/jpeg"}
        (fmt,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert fmt["schema"]["enum"] == ["json", "jpeg"] and fmt["schema"]["default"] == "json"


def test_spec_limits_follow_the_config() -> None:
    spec = build_openapi(Config())
    batch = spec["components"]["schemas"]["BatchRequest"]["properties"]["image_ids"]
    assert batch["maxItems"] == Config().limits.max_batch_size


async def test_openapi_json_is_served(client: TestClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert (await response.json())["openapi"].startswith("3.")


async def test_docs_page_and_its_assets_are_served_locally(client: TestClient) -> None:
    page = await client.get("/docs")
    assert page.status == 200
    html = await page.text()
    assert "http" not in html.replace("http-equiv", "")  # no CDN, no absolute URLs
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert f"/docs/static/{asset}" in html
        response = await client.get(f"/docs/static/{asset}")
        assert response.status == 200
        assert len(await response.read()) > 1000
