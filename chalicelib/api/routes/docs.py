"""``/openapi.json`` and the Swagger UI at ``/docs`` (assets from the swagger-ui-bundle wheel; no CDN)."""
from __future__ import annotations

import functools
from pathlib import Path

from chalice import Response

from chalicelib import errors
from chalicelib.api.routing import PUBLIC, RequestContext, Routes

routes = Routes("docs")

_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui-standalone-preset.js": "application/javascript",
}
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Innova Serverless API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});</script>
</body></html>"""


def _openapi_document() -> dict:
    app = routes.blueprint.current_app
    document = getattr(app, "_openapi_document", None)
    if document is None:  # built once per container, on first request
        from chalicelib.api.openapi import build_openapi

        document = app._openapi_document = build_openapi(app)
    return document


@functools.cache
def _asset(name: str) -> bytes:
    import swagger_ui_bundle

    return (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()


@routes.get("/openapi.json", auth=PUBLIC, response=dict)
def openapi_json(ctx: RequestContext) -> Response:
    """The OpenAPI document of this API (raw, not enveloped)."""
    from chalicelib.api.envelope import to_json

    return Response(body=to_json(_openapi_document()), status_code=200,
                    headers={"Content-Type": "application/json"})


@routes.get("/docs", auth=PUBLIC, response=str)
def swagger_ui(ctx: RequestContext) -> Response:
    """Swagger UI."""
    return Response(body=_PAGE, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@routes.get("/docs/{asset}", auth=PUBLIC, response=str)
def swagger_asset(ctx: RequestContext, asset: str) -> Response:
    """Static files of the Swagger UI."""
    if asset not in _ASSETS:
        raise errors.NotFound(f"Cannot GET /docs/{asset}")
    body = _asset(asset)
    content_type = _ASSETS[asset]
    return Response(body=body if content_type.startswith("image/") else body.decode(),
                    status_code=200, headers={"Content-Type": content_type,
                                              "Cache-Control": "public, max-age=86400"})
