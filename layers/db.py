"""Engine and connection factories, built from settings (never at import time)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

from layers.settings import DatabaseSettings


def make_engine(settings: DatabaseSettings, *, echo: bool = False) -> Engine:
    """A SQLAlchemy engine (psycopg 3 driver) for imports, migrations and the CLI."""
    return create_engine(settings.sqlalchemy_url, echo=echo, pool_pre_ping=True, future=True)
