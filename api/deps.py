"""FastAPI dependencies: a database connection from the app's pool, and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from layers.settings import Settings


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection[DictRow]]:
    """A pooled connection for the length of one request."""
    async with request.app.state.pool.connection() as conn:
        yield conn


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


Conn = Annotated[AsyncConnection[DictRow], Depends(get_conn)]
AppSettings = Annotated[Settings, Depends(get_settings)]
