"""Alembic environment: the URL comes from the caller (layers.migrate) or from settings."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from layers.models import Base
from layers.settings import DatabaseSettings

config = context.config
url = config.get_main_option("sqlalchemy.url") or DatabaseSettings().sqlalchemy_url


def run_migrations() -> None:
    """Run migrations online against ``url`` (or on the connection handed in by the caller)."""
    conn = config.attributes.get("connection")
    opts = dict(
        target_metadata=Base.metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    if conn is not None:
        context.configure(connection=conn, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
