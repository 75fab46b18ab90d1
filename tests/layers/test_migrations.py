"""Migrations apply to an empty database, revert cleanly and apply again."""

from __future__ import annotations

from sqlalchemy import inspect

from layers import migrate
from layers.db import make_engine
from layers.settings import DatabaseSettings

TABLES = {
    "areas",
    "area_pieces",
    "area_shares",
    "locality_members",
    "indicators",
    "hubs",
    "spaces",
    "groups",
    "submissions",
    "group_areas",
    "postcodes",
}


def _tables(settings: DatabaseSettings) -> set[str]:
    engine = make_engine(settings)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_db: DatabaseSettings) -> None:
    migrate.upgrade(scratch_db)
    assert migrate.current(scratch_db) is not None
    assert _tables(scratch_db) >= TABLES
    migrate.downgrade(scratch_db, "base")
    assert migrate.current(scratch_db) is None
    assert not (TABLES & _tables(scratch_db))
    migrate.upgrade(scratch_db)
    assert _tables(scratch_db) >= TABLES


def test_geometry_columns_have_srid_and_gist_index(scratch_db: DatabaseSettings) -> None:
    migrate.upgrade(scratch_db)
    engine = make_engine(scratch_db)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'public'"
        ).all()
        gist = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%%USING gist%%'"
            )
        }
    engine.dispose()
    # Stored geometry is EPSG:4326; the only other SRID is British National Grid in generated columns
    # derived from it: each asset's point for nearest-neighbour search in metres (geom_bng) and each area's
    # point inside it for the overlay's distances (point_bng).
    assert rows and all(srid == 4326 for _, srid in rows if srid != 27700)
    assert {t for t, srid in rows if srid == 27700} == {"hubs", "spaces", "groups", "areas", "resources"}
    assert {t for t, _ in rows} <= gist


def test_models_match_migrations(scratch_db: DatabaseSettings) -> None:
    """Autogenerate finds nothing to do: the models and the migrations describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    from layers.models import Base

    migrate.upgrade(scratch_db)
    engine = make_engine(scratch_db)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object, "compare_type": True}
        )
        diffs = [d for d in compare_metadata(context, Base.metadata) if not _comment_only(d)]
    engine.dispose()
    assert diffs == []


def _comment_only(diff: object) -> bool:
    ops = diff if isinstance(diff, list) else [diff]
    return all(isinstance(op, tuple) and op and op[0] == "modify_comment" for op in ops)
