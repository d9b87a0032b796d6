"""The rendered API reference (``/docs``: Swagger UI, ``/redoc``: ReDoc), served offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, which an exchange's integration
engineer behind a firewall cannot reach. Here both pages load their scripts, style sheet and
icon from the service itself (``/docs/assets/...``): the files come from the PyPI package
``fastapi-offline`` (Swagger UI 5, which renders OpenAPI 3.1, and ReDoc's standalone bundle),
installed as a dependency of the kit. The pages are open like ``/openapi.json``, and each is
sent with a Content-Security-Policy that lets it load from its own origin only (its one
inline script allowed by hash), so a page that still tried to reach out would be blocked
rather than silently depend on the internet (the one thing blocked, seen in headless Chromium:
the little Redocly logo ReDoc's bundle links from its CDN beside "API docs by Redocly").
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
REDOC = "/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/assets"
ASSET_FILES = Path(fastapi_offline.__file__).parent / "static"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """Same origin only; the page's inline scripts by their hash. Styles may be inline (both
    viewers set them from script); images may be data: URIs (Swagger UI's icons); ReDoc runs
    its search in a worker made from a blob."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    response.headers["Content-Security-Policy"] = content_security_policy(html)
    return response


def install_reference(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from the service's own assets (create the app with
    ``docs_url=None, redoc_url=None``)."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS, StaticFiles(directory=ASSET_FILES), name="reference-assets")

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_swagger_ui_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS}/{SWAGGER_JS}",
                swagger_css_url=f"{root}{ASSETS}/{SWAGGER_CSS}",
                swagger_favicon_url=f"{root}{ASSETS}/{FAVICON}",
                oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
                # No badge from the public validator service: nothing leaves the origin.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _page(
            get_redoc_html(
                openapi_url=f"{root}{openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS}/{REDOC_JS}",
                redoc_favicon_url=f"{root}{ASSETS}/{FAVICON}",
                with_google_fonts=False,
            )
        )
