"""One place that maps domain errors to HTTP status codes and a JSON body {"error", "detail"}."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from layers import errors

log = logging.getLogger("patchmap.api")

STATUS: dict[type[errors.PatchmapError], int] = {
    errors.NotFound: 404,
    errors.InvalidInput: 422,
    errors.BadParameter: 400,
    errors.ImportFailed: 422,
    errors.DatabaseUnavailable: 503,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.RateLimited: 429,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Conflict: 409,
}


def status_of(exc: errors.PatchmapError) -> int:
    """The HTTP status of a domain error (400 for one not in STATUS)."""
    return next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)


#: What a missing, restarting or overloaded database raises, from either way to it (api.deps): each is
#: answered 503 with Retry-After, never 500. Errors of a statement itself (a constraint, a bad cast) are
#: not here: they are the layers' to turn into domain errors.
DATABASE_AWAY: tuple[type[Exception], ...] = (
    PoolTimeout,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
)


def headers_of(exc: errors.PatchmapError) -> dict[str, str]:
    """Headers a domain error's response carries: Retry-After for a rate limit."""
    if isinstance(exc, errors.RateLimited):
        return {"Retry-After": str(max(1, exc.retry_after_s))}
    if isinstance(exc, errors.DatabaseUnavailable):
        return {"Retry-After": "5"}
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

    async def database_away(request: Request, exc: Exception) -> JSONResponse:
        # The type only: a driver's message may quote the statement's parameters.
        route = getattr(request.scope.get("route"), "path", "an unrouted path")  # never the path as sent
        log.warning("database unavailable (%s) on %s %s", type(exc).__name__, request.method, route)
        retry = request.app.state.settings.database.retry_after_s
        return JSONResponse(
            error_body(
                "The database is not answering",
                f"Patchmap cannot reach its database just now. Please try again in {retry} seconds.",
            ),
            status_code=503,
            headers={"Retry-After": str(retry)},
        )

    for cls in DATABASE_AWAY:
        app.add_exception_handler(cls, database_away)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keep the exception's headers: a 405 names the methods allowed (Allow), a 401 its scheme.
        return JSONResponse(
            error_body(str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "What was wrong, and what to do about it.",
    "properties": {
        "error": {"type": "string", "description": "what was wrong"},
        "detail": {
            "description": "what to do; for invalid parameters, each problem and where it is",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"where": {"type": "string"}, "problem": {"type": "string"}},
                        "required": ["where", "problem"],
                    },
                },
            ],
        },
    },
    "required": ["error", "detail"],
}
#: Answers any operation can give, whatever it does: the edge's refusals and a missing database.
EVERY_OPERATION: dict[str, str] = {
    "422": "Invalid parameters or body (a control character, a value out of range): the body says which",
    "503": "The database is not answering: try again after Retry-After seconds",
}
WITH_BODY: dict[str, str] = {"413": "The body is larger than the server accepts"}


def document(app: FastAPI) -> None:
    """Make the OpenAPI document say what errors really look like: every error is ``Error`` (FastAPI's own
    ``HTTPValidationError`` shape is not what a 422 carries), and every operation lists the answers any
    request may get (422 and 503; 413 where there is a body), with Retry-After on 429 and 503."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        retry = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                answers = operation.setdefault("responses", {})
                wanted = {**EVERY_OPERATION, **(WITH_BODY if method in ("post", "put", "patch") else {})}
                for code, description in wanted.items():
                    answers.setdefault(code, {"description": description})
                page = "text/html" in answers.get("200", {}).get("content", {})
                if page and path.startswith("/patch/"):  # a co-ordinator's page sends others to sign in
                    answers.setdefault("303", {"description": "Not signed in: to /sign-in"})
                for code, answer in answers.items():
                    if code.startswith(("4", "5")):
                        content = answer.setdefault("content", {})
                        if page:  # a page refuses with a page (a bad parameter still gets JSON)
                            content.setdefault("text/html", {"schema": {"type": "string"}})
                        json_answer = content.setdefault("application/json", {})
                        schema_of = json_answer.get("schema", {})
                        if not schema_of or "HTTPValidationError" in str(schema_of):
                            json_answer["schema"] = ref
                    if code in ("429", "503"):
                        answer.setdefault("headers", {}).update(retry)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
