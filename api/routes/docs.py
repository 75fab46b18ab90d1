"""The API's documentation pages, served with the app's own pinned Swagger UI (no CDN: a council network
without internet still shows them), under the same Content-Security-Policy as every page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

from api.html import html_page
from mapping import assets

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def read_docs(request: Request) -> HTMLResponse:
    """Swagger UI on the app's OpenAPI document."""
    static = request.url_for("static", path="").path
    swagger = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title="Patchmap API",
        swagger_js_url=assets.SWAGGER_UI_JS.url(static),
        swagger_css_url=assets.SWAGGER_UI_CSS.url(static),
        swagger_favicon_url=assets.SWAGGER_UI_ICON.url(static),
    )
    return html_page(request, bytes(swagger.body).decode("utf-8"))


@router.get("/redoc")
async def read_redoc() -> RedirectResponse:
    """ReDoc is not served (it would need a second bundle): the same document is at /docs."""
    return RedirectResponse("/docs", status_code=307)
