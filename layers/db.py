"""Engine and connection factories, built from settings (never at import time)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

from layers.settings import DatabaseSettings


def make_engine(settings: DatabaseSettings, *, echo: bool = False, time_limit: bool = False) -> Engine:
    """A SQLAlchemy engine (psycopg 3 driver) for domain operations, imports, migrations and the CLI.

    Durable commits on every connection, and with ``time_limit`` (the API's) the statement time limit
    (``session_options``); a short wait
    for a pooled connection and a short connect timeout, so a missing database is an error at once (the
    API answers 503), and a connection is tested before use, so the engine recovers by itself when the
    database is back. SQL parameters are left out of error messages: they may hold personal data.
    """
    return create_engine(
        settings.sqlalchemy_url,
        echo=echo,
        pool_pre_ping=True,
        pool_timeout=settings.pool_timeout_s,
        hide_parameters=True,
        connect_args={
            "connect_timeout": settings.connect_timeout_s,
            "options": settings.session_options(time_limit=time_limit),
        },
    )
