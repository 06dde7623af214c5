"""Human API docs at /docs: Swagger UI served from the swagger-ui-bundle wheel, no CDN."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

DOCS_STATIC_PREFIX = "/docs/static"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>plate-service API</title>
  <link rel="stylesheet" href="{prefix}/swagger-ui.css">
  <link rel="icon" href="{prefix}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{prefix}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui",
                                 deepLinking: true}});
  </script>
</body>
</html>
"""


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


async def docs_page(request: web.Request) -> web.Response:
    """GET /docs: the interactive API reference."""
    return web.Response(text=_PAGE.format(prefix=DOCS_STATIC_PREFIX), content_type="text/html")


def setup_docs(app: web.Application) -> None:
    app.router.add_get("/docs", docs_page)
    app.router.add_static(DOCS_STATIC_PREFIX, swagger_ui_dir(), name="docs_static")
