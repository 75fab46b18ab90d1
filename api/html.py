"""HTML answers: every page goes out through ``html_page``, which gives its inline scripts the CSP nonce."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse

from mapping.csp import with_nonce


def html_page(
    request: Request, html: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """An HTML answer whose inline scripts carry this request's nonce (``api.middleware.SecurityHeaders``)."""
    nonce = getattr(request.state, "csp_nonce", "")
    return HTMLResponse(with_nonce(html, nonce), status_code=status_code, headers=headers)
