"""HTML answers: every page goes out through ``html_page``, which gives its inline scripts the CSP nonce."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from layers.errors import UnsupportedMediaType
from mapping.csp import with_nonce


def html_page(
    request: Request, html: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """An HTML answer whose inline scripts carry this request's nonce (``api.middleware.SecurityHeaders``)."""
    nonce = getattr(request.state, "csp_nonce", "")
    return HTMLResponse(with_nonce(html, nonce), status_code=status_code, headers=headers)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: The OpenAPI answer of an address that takes only the pages' plain form posts (``form_post``).
FORM_ONLY: dict[int | str, dict[str, Any]] = {
    415: {"description": "The body is not a form post (an {error, detail} JSON answer)"}
}


def form_post(request: Request) -> None:
    """Refuse (415, JSON) a body that is not a form post, before anything else is looked at: these addresses
    take the pages' plain HTML forms only. An empty body (a button with no fields) is a form post."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    empty = request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in request.headers
    if kind not in FORM_TYPES and not empty:
        raise UnsupportedMediaType(
            "This address takes a form post", "Use the form on the page, sent as a plain HTML form."
        )


#: ``@router.post(path, **FORM_POST, responses={..., **FORM_ONLY})``: a page's form post.
FORM_POST: dict[str, Any] = {"dependencies": [Depends(form_post)], "response_class": HTMLResponse}
