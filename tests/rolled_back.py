"""The API on one database connection inside a transaction that is rolled back: for tests that insert rows.

Why: the session's ``client`` fixture has its own pool, so its requests cannot see rows a test inserts on
another connection without committing them, and committing and then deleting is not allowed. Here the
app's pool is swapped for a stand-in that hands every request the same ``AsyncConnection`` (the one the test
inserts through), and that connection is rolled back at the end. The connection is opened on the
TestClient's event loop (through its portal), where the app's handlers run, because an asyncio connection
belongs to one loop. Both ``Depends(get_conn)`` handlers and those that take ``app.state.pool`` directly
get this connection, since ``get_conn`` reads the pool from ``app.state`` too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import AsyncConnection, sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

JSONB = {"meets", "rooms", "private_contact", "accessibility", "availability", "details", "contact"}


class OneConnection:
    """Stands in for the app's pool: every request gets the same connection."""

    def __init__(self, conn: AsyncConnection[DictRow]) -> None:
        self.conn = conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[DictRow]]:
        """The one connection (a pool's connection() is an async context manager too)."""
        yield self.conn


class RolledBack:
    """An HTTP client and the connection its requests run on, both inside one rolled-back transaction."""

    def __init__(self, client: TestClient, conn: AsyncConnection[DictRow]) -> None:
        self.client = client
        self.conn = conn

    def get(self, url: str, **kwargs: Any) -> Any:
        """GET through the app (on the shared connection)."""
        return self.client.get(url, **kwargs)

    def execute(self, query: str | sql.Composed, params: Any = None) -> list[dict[str, Any]]:
        """Run SQL on the shared connection; the rows it returns (none for a statement without rows)."""
        rows: list[dict[str, Any]] = self.client.portal.call(self._execute, query, params)
        return rows

    async def _execute(self, query: str | sql.Composed, params: Any) -> list[dict[str, Any]]:
        cur = await self.conn.execute(query, params)
        return list(await cur.fetchall()) if cur.description else []

    def insert(self, table: str, *, lon: float | None = None, lat: float | None = None, **values: Any) -> int:
        """Insert one row (geom from lon and lat when given; dicts and JSONB lists wrapped); its id."""
        columns = list(values)
        params = [Jsonb(v) if k in JSONB or isinstance(v, dict) else v for k, v in values.items()]
        exprs = [sql.Placeholder()] * len(columns)
        if lon is not None and lat is not None:
            columns.append("geom")
            exprs.append(sql.SQL("ST_SetSRID(ST_MakePoint(%s::float8, %s::float8), 4326)"))
            params += [lon, lat]
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(exprs)
        )
        return int(self.execute(query, params)[0]["id"])


async def _connect(url: str) -> AsyncConnection[DictRow]:
    return await psycopg.AsyncConnection.connect(url, row_factory=dict_row, autocommit=False)


@contextmanager
def rolled_back(client: TestClient, url: str) -> Iterator[RolledBack]:
    """Point the client's app at one new connection in a transaction; roll it back and restore the pool."""
    app: Any = client.app
    conn = client.portal.call(_connect, url)
    real_pools = app.state.pool, app.state.search_pool
    app.state.pool = app.state.search_pool = OneConnection(conn)
    try:
        yield RolledBack(client, conn)
    finally:
        app.state.pool, app.state.search_pool = real_pools
        client.portal.call(conn.rollback)
        client.portal.call(conn.close)
