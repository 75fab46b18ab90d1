"""FastAPI dependencies, and the one way each kind of work reaches the database.

Two kinds of work, one rule each (the README's "One way to the database"):

- **Hot reads and simple writes** (search, lookups, map layers, public records, residents' submissions) use
  the async psycopg pool: the ``Conn`` dependency, or, on the two hottest routes where solving a dependency
  costs a tenth of the request, ``pooled(request)`` / ``pooled(request, search=True)``.
- **Multi-step domain operations** (sign-in, moderation, versions, the patch, partners, analysis) run as
  one unit of work: the ``Work`` dependency hands the handler a ``UnitOfWork`` whose ``run(fn, ...)`` calls
  ``fn(conn, ...)`` with a sync SQLAlchemy connection in a worker thread, commits before it returns and
  rolls back if ``fn`` raises.

No handler reaches into ``app.state`` for a database handle or writes its own thread-pool wrapper.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine

from layers.errors import InvalidInput
from layers.ogc import overlay
from layers.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection[DictRow]]:
    """A pooled connection for the length of one request."""
    async with request.app.state.pool.connection() as conn:
        yield conn


def pooled(request: Request, *, search: bool = False) -> AbstractAsyncContextManager[AsyncConnection[Any]]:
    """A connection from the app's pool (the nearby search's own pool with ``search``), for a hot route
    that takes it without a dependency: ``async with pooled(request) as conn``."""
    pool: AsyncConnectionPool = request.app.state.search_pool if search else request.app.state.pool
    return pool.connection()


class UnitOfWork:
    """One sync SQLAlchemy transaction in a worker thread: how multi-step domain operations reach the database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def run(
        self, work: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``work(conn, *args, **kwargs)`` in one transaction, committed before this returns (so a 2xx is
        kept); rolled back if it raises. ``work`` may commit part of its work first (a failed sign-in is
        kept even though the sign-in raises)."""

        def in_transaction() -> T:
            with self._engine.connect() as conn:
                result = work(conn, *args, **kwargs)
                conn.commit()
                return result

        return await run_in_threadpool(in_transaction)


async def get_work(request: Request) -> UnitOfWork:
    """The request's unit of work on the app's engine."""
    engine: Engine = request.app.state.engine
    return UnitOfWork(engine)


async def refresh_overlay(request: Request, level: str) -> None:
    """Store a level's default overlay again (``layers.ogc.overlay.refresh``, on a worker thread), one at a
    time per level in this worker: the others wait for it (holding no pooled connection), then find it stored
    and return at once. The area collections' pages and the boundary tiles call it when their data changed."""
    locks: dict[str, asyncio.Lock] = request.app.state.overlay_locks  # made in create_app
    async with locks.setdefault(level, asyncio.Lock()):
        await UnitOfWork(request.app.state.engine).run(overlay.refresh, level)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


Conn = Annotated[AsyncConnection[DictRow], Depends(get_conn)]
Work = Annotated[UnitOfWork, Depends(get_work)]
AppSettings = Annotated[Settings, Depends(get_settings)]


M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], request: Request) -> M:
    """The request's query string as ``model``; 422 (as FastAPI words it) when it is not valid.

    For hot routes, instead of ``Annotated[Model, Query()]`` or a dependency: FastAPI's query-model path
    re-inspects the model's annotations on every request, which cost 1.2 ms of a 3.3 ms nearby search
    (cProfile, in-process ASGI), and solving a dependency costs more than this parsing. The rules (types,
    ranges, unknown parameters refused) stay the model's. Pair it with
    ``openapi_extra={"parameters": query_parameters(model)}`` so /docs still lists the parameters.
    """
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters for a model's fields (all optional), for a route that parses them itself."""
    schema = model.model_json_schema()
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": prop,
            "description": prop.get("description", ""),
        }
        for name, prop in schema["properties"].items()
    ]


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "a key of your choosing (a UUID) to send the same request again safely: a retry with "
    "the same key and body gets the first answer and writes nothing more",
}


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key header (printable ASCII, at most 255 characters), if it has one."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput(
            "The Idempotency-Key header is not valid", "Send 1 to 255 printable characters, e.g. a UUID."
        )
    return key
