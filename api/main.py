"""The FastAPI application factory."""

from __future__ import annotations

import gc
import inspect
import select
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from psycopg_pool.base import AttemptWithBackoff

from api import background, errors
from api.middleware import Guard, InputPolicy, SecurityHeaders
from api.routes import (
    analysis,
    areas,
    assets,
    auth,
    booking_pages,
    bookings,
    calendars,
    docs,
    health,
    help_offers,
    map_data,
    moderation,
    offer_pages,
    ogc_features,
    openactive,
    oruk,
    pages,
    records,
    search,
    submissions,
    tiles,
)
from api.routes import contacts as contact_routes
from api.routes import moderation_pages as moderation_page_routes
from api.routes import organisers as organiser_routes
from api.routes import patch as patch_routes
from api.routes import record_pages as record_page_routes
from api.routes import scenarios as scenario_routes
from api.routes import users as user_routes
from layers.db import make_engine
from layers.offers import notices as offer_notices
from layers.offers.submissions import submission_secret
from layers.settings import Settings
from layers.tiles.cache import TileCache


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

    async def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        # While the database is away, try again every half second instead of psycopg_pool's doubling
        # delays (1, 2, 4, 8 s...), so the API is whole again within a second or so of the database's
        # return rather than after the next long wait (18 s was seen).
        await super()._add_connection(attempt or SteadyRetry(timeout=self.reconnect_timeout), growing)


class SteadyRetry(AttemptWithBackoff):
    """Reconnection attempts at a steady half second (jittered), until the pool's reconnect_timeout."""

    INITIAL_DELAY = 0.5
    DELAY_BACKOFF = 1.0


def make_pool(settings: Settings, *, generic_plans: bool = False) -> AsyncConnectionPool:
    """An (unopened) psycopg pool with dict rows, autocommit and a statement time limit.

    With generic_plans, its connections plan prepared statements once, whatever their parameters
    (plan_cache_mode = force_generic_plan): the nearby search's pool, see layers.queries.search._run.
    """
    db = settings.database
    options = db.session_options(time_limit=True)
    if generic_plans:
        options += " -c plan_cache_mode=force_generic_plan"
    return LifoConnectionPool(
        conninfo=db.url,
        min_size=db.pool_min,
        max_size=db.pool_max,
        kwargs={
            "row_factory": dict_row,
            "autocommit": True,
            "options": options,
            "connect_timeout": db.connect_timeout_s,
        },
        timeout=db.pool_timeout_s,
        check=idle_connection_alive,
        open=False,
    )


async def idle_connection_alive(conn: AsyncConnection[Any]) -> None:
    """Refuse (raise) a pooled connection the server has closed since it was last used: the pool then
    hands out another. No round trip: an idle connection's socket is readable only when the server has
    hung up (or said why it did), so one poll(0) tells, and a restarted database never costs a request."""
    if conn.closed or select.select([conn.pgconn.socket], [], [], 0)[0]:
        await conn.close()  # closed, the pool drops it (an open one it would take back) and opens another
        raise psycopg.OperationalError("the server closed this connection while it was idle")


def _no_telemetry() -> dict[str, Any]:
    """Switch off FastAPI's native OpenTelemetry hooks where this FastAPI has them.

    Nothing here exports traces, and the hooks cost about 0.1 ms a request on the lookup path.
    """
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}


_FROZEN = threading.Event()


def freeze_startup_objects() -> None:
    """Once per process: take what start-up built (modules, the app) out of the garbage collector's full rounds.

    They live as long as the process, yet a full round walks every one (about 190,000 objects: 0.1 to 0.2 s,
    which a large answer such as England's overlay sets off about every other request)."""
    if not _FROZEN.is_set():
        _FROZEN.set()
        gc.collect()
        gc.freeze()


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
        app.state.engine = make_engine(settings.database, time_limit=True)
        offer_notices.register(app.state.engine, settings)  # the public address in residents' messages
        freeze_startup_objects()
        try:
            # Sending the outbox and expiring booking requests (api/background.py): stopped before the
            # engine is disposed. The engine is read each round, so a test can swap it.
            async with background.running(settings, lambda: app.state.engine) as app.state.background:
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
        docs_url=None,
        redoc_url=None,
        **_no_telemetry(),
    )
    app.state.settings = settings
    app.state.tile_cache = TileCache(settings.map.vector_tile_cache_mb * 2**20)
    app.state.overlay_locks = {}  # api.deps.refresh_overlay: one store of a level's overlay at a time
    errors.install(app)
    errors.document(app)
    # Browsers ask for gzip: map layers and search results shrink by about 70%. Small answers (lookups)
    # are sent as they are, and level 5 keeps the CPU cost per response low.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    # Outermost last: security headers on every answer (refusals and 500s too), then the guard that keeps
    # exceptions' messages out of the log, then the one input policy, before any route runs.
    app.add_middleware(InputPolicy, max_body_bytes=settings.server.max_body_bytes)
    app.add_middleware(Guard)
    app.add_middleware(SecurityHeaders, tile_url=settings.map.tile_url)
    app.mount("/static", StaticFiles(directory=str(files("mapping") / "static")), name="static")
    # Routing tries the routers in this order, each route in turn: the OGC API's (every path under /ogc, so
    # no other route's) come first, as its clients (QGIS, GDAL) page through features and tiles by the
    # hundred; last in the list, finding them cost a page about as much as building its envelope.
    # A tile, the hottest read, is served by a plain endpoint in front of its documented route (same answers).
    app.add_route(tiles.PREFIX + tiles.TILE_PATH, tiles.serve_tile, methods=["GET"], include_in_schema=False)
    app.include_router(tiles.router)
    app.include_router(ogc_features.router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(areas.router)
    app.include_router(contact_routes.router)
    app.include_router(search.router)
    app.include_router(assets.router)
    app.include_router(map_data.router)
    app.include_router(analysis.router)
    app.include_router(scenario_routes.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(patch_routes.router)
    app.state.submission_secret = submission_secret(settings.submissions)  # HMAC key of client addresses
    app.include_router(submissions.router)
    app.include_router(moderation.router)
    app.include_router(moderation_page_routes.router)
    app.include_router(records.router)
    app.include_router(bookings.router)
    app.include_router(calendars.router)
    app.include_router(openactive.router)
    app.include_router(oruk.router)
    app.include_router(booking_pages.router)
    app.include_router(user_routes.router)
    app.include_router(record_page_routes.router)
    app.include_router(help_offers.router)
    app.include_router(offer_pages.router)
    app.include_router(organiser_routes.router)
    return app
