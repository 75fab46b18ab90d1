"""Apply and revert the Alembic migrations programmatically (used by the CLI and the tests)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from layers.db import make_engine
from layers.errors import DatabaseUnavailable
from layers.settings import DatabaseSettings


def alembic_config(settings: DatabaseSettings) -> Config:
    """An Alembic config pointing at our migrations folder and database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("layers") / "migrations"))
    # ConfigParser interpolates %; escape it so URL-encoded passwords survive.
    cfg.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    return cfg


def ensure_postgis(settings: DatabaseSettings) -> str:
    """Create the PostGIS extension if it is missing; return its version or raise DatabaseUnavailable."""
    engine = make_engine(settings)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())
    except Exception as exc:  # the driver's errors vary; all mean the same to the user
        raise DatabaseUnavailable(
            "Cannot use the database",
            f"{type(exc).__name__}: {exc}. Check DATABASE_URL and that PostGIS is installed "
            "(Debian: apt-get install postgresql-15-postgis-3).",
        ) from exc
    finally:
        engine.dispose()


def upgrade(settings: DatabaseSettings, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    ensure_postgis(settings)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: DatabaseSettings, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(settings), revision)


def current(settings: DatabaseSettings) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar_one()
            if not exists:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
