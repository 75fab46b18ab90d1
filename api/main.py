"""The FastAPI application factory."""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from api import errors
from api.routes import (
    analysis,
    areas,
    assets,
    auth,
    health,
    map_data,
    moderation,
    pages,
    records,
    search,
    submissions,
)
from api.routes import patch as patch_routes
from layers.db import make_engine
from layers.offers.submissions import submission_secret
from layers.settings import Settings


class _Stack(deque[Any]):
    """A deque whose popleft takes the newest item: the pool's idle connections as a stack."""

    def popleft(self) -> Any:
        return self.pop()


class LifoConnectionPool(AsyncConnectionPool):
    """psycopg's pool, handing out the connection returned last (LIFO) rather than the one idle longest.

    psycopg_pool queues idle connections (FIFO), so a quiet API turns through all of them, each query
    landing on a backend whose caches went cold since its last turn: that cost a nearby search 0.25 ms
    with four connections against one (in-process, interleaved). As a stack, light load keeps to the same
    few warm backends, as SQLAlchemy's pool_use_lifo does; under full load every connection is busy and
    the order makes no difference. psycopg_pool has no such option, so this replaces its private deque of
    idle connections (its max_idle shrinking then closes the newest idle connection rather than the oldest:
    harmless). tests/api/test_api_pool.py fails if a psycopg_pool release changes what this relies on.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool = _Stack(self._pool)


def make_pool(settings: Settings, *, generic_plans: bool = False) -> AsyncConnectionPool:
    """An (unopened) psycopg pool with dict rows, autocommit and a statement time limit.

    With generic_plans, its connections plan prepared statements once, whatever their parameters
    (plan_cache_mode = force_generic_plan): the nearby search's pool, see layers.queries.search._run.
    """
    db = settings.database
    options = f"-c statement_timeout={int(db.statement_timeout_ms)}"
    if generic_plans:
        options += " -c plan_cache_mode=force_generic_plan"
    return LifoConnectionPool(
        conninfo=db.url,
        min_size=db.pool_min,
        max_size=db.pool_max,
        kwargs={"row_factory": dict_row, "autocommit": True, "options": options},
        timeout=10,
        open=False,
    )


def _no_telemetry() -> dict[str, Any]:
    """Switch off FastAPI's native OpenTelemetry hooks where this FastAPI has them.

    Nothing here exports traces, and the hooks cost about 0.1 ms a request on the lookup path.
    """
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The pool opens in the lifespan and closes with it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = make_pool(settings)
        search_pool = make_pool(settings, generic_plans=True)
        await pool.open(wait=False)
        await search_pool.open(wait=False)
        app.state.pool = pool
        app.state.search_pool = search_pool
        # The officers' analysis is pandas work on frames read with SQLAlchemy: it runs in worker threads.
        app.state.engine = make_engine(settings.database)
        try:
            yield
        finally:
            app.state.engine.dispose()
            await search_pool.close()
            await pool.close()

    app = FastAPI(
        title="Patchmap",
        summary="Community asset mapping for UK councils: groups, hubs, spaces and needs, by area.",
        version="0.1.0",
        lifespan=lifespan,
        **_no_telemetry(),
    )
    app.state.settings = settings
    errors.install(app)
    # Browsers ask for gzip: map layers and search results shrink by about 70%. Small answers (lookups)
    # are sent as they are, and level 5 keeps the CPU cost per response low.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    app.mount("/static", StaticFiles(directory=str(files("mapping") / "static")), name="static")
    app.include_router(health.router)
    app.include_router(areas.router)
    app.include_router(search.router)
    app.include_router(assets.router)
    app.include_router(map_data.router)
    app.include_router(analysis.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(patch_routes.router)
    app.state.submission_secret = submission_secret(settings.submissions)  # HMAC key of client addresses
    app.include_router(submissions.router)
    app.include_router(moderation.router)
    app.include_router(records.router)
    return app
