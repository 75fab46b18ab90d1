"""One place that maps domain errors to HTTP status codes and a JSON body {"error", "detail"}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from layers import errors

log = logging.getLogger("patchmap.api")

STATUS: dict[type[errors.PatchmapError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.ImportFailed: 422,
    errors.DatabaseUnavailable: 503,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RateLimited: 429,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
}


def status_of(exc: errors.PatchmapError) -> int:
    """The HTTP status of a domain error (400 for one not in STATUS)."""
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


def headers_of(exc: errors.PatchmapError) -> dict[str, str]:
    """Headers a domain error's response carries: Retry-After for a rate limit."""
    if isinstance(exc, errors.RateLimited):
        return {"Retry-After": str(max(1, exc.retry_after_s))}
    return {}


def error_body(error: str, detail: object = "") -> dict[str, object]:
    """The JSON every error response carries."""
    return {"error": error, "detail": detail}


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(errors.PatchmapError)
    async def domain_error(request: Request, exc: errors.PatchmapError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.message, exc.detail), status_code=status_of(exc), headers=headers_of(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(error_body("The request's parameters are not valid", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and place only: request bodies may hold personal data.
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return JSONResponse(
            error_body("Something went wrong on our side", "The error has been logged; please try again."),
            status_code=500,
        )
