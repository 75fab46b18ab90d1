"""The API's connection pools hand out the connection returned last (api.main.LifoConnectionPool).

psycopg_pool has no LIFO option, so the subclass swaps the pool's private deque of idle connections for a
stack. These tests fail if a psycopg_pool release changes what that relies on.
"""

from __future__ import annotations

import asyncio

from psycopg import AsyncConnection

from api.main import LifoConnectionPool, make_pool
from layers.settings import Settings


def _pool(settings: Settings, size: int) -> LifoConnectionPool:
    return LifoConnectionPool(
        conninfo=settings.database.url, min_size=size, max_size=size, open=False, kwargs={"autocommit": True}
    )


async def _pids(settings: Settings) -> tuple[list[int], list[int], int]:
    pool = _pool(settings, 3)
    await pool.open(wait=True)
    try:
        held: list[AsyncConnection] = [await pool.getconn() for _ in range(3)]
        pids = [c.info.backend_pid for c in held]
        for c in held:  # returned in order: the last one back is held[2]
            await pool.putconn(c)
        again = []
        for _ in range(4):  # a quiet client: one query at a time
            async with pool.connection() as c:
                again.append(c.info.backend_pid)
                await c.execute("SELECT 1")
        # under load every connection is still handed out
        async with pool.connection() as a, pool.connection() as b, pool.connection() as c:
            busy = len({a.info.backend_pid, b.info.backend_pid, c.info.backend_pid})
        return pids, again, busy
    finally:
        await pool.close()


def test_pool_hands_out_the_connection_returned_last(settings: Settings) -> None:
    """One query at a time keeps to the same (warm) backend; three at once still get three."""
    pids, again, busy = asyncio.run(_pids(settings))
    assert again == [pids[2]] * 4
    assert busy == 3


def test_app_pools_are_lifo(settings: Settings) -> None:
    """Both of the app's pools (general and search) are the LIFO kind."""
    assert isinstance(make_pool(settings), LifoConnectionPool)
    assert isinstance(make_pool(settings, generic_plans=True), LifoConnectionPool)
