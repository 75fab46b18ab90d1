"""Migrations apply to an empty database, revert cleanly and apply again."""

from __future__ import annotations

import pytest
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
    # Stored geometry is EPSG:4326; the only other SRIDs are in generated columns derived from it: British
    # National Grid for each asset's point for nearest-neighbour search in metres (geom_bng) and each area's
    # point inside it for the overlay's distances (point_bng); Web Mercator for the areas' vector tiles
    # (tile_geom*, migration 0020_tiles_area_geometries).
    assert rows and all(srid == 4326 for _, srid in rows if srid not in (27700, 3857))
    assert {t for t, srid in rows if srid == 27700} == {"hubs", "spaces", "groups", "areas", "resources"}
    assert {t for t, srid in rows if srid == 3857} == {"areas"}
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


def test_0015_gives_every_existing_room_its_version_1_and_reverts(scratch_db: DatabaseSettings) -> None:
    """Rooms written before 0015 get version 1 ("create", no author, as an import's); downgrade removes them."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    migrate.upgrade(scratch_db)  # the session's scratch database may be anywhere: 0014 from head
    migrate.downgrade(scratch_db, "0014")
    engine = make_engine(scratch_db)
    versions = "SELECT object_id, version, action, changed_by, snapshot->>'name' FROM record_versions "
    try:
        with engine.begin() as conn:
            hub = conn.execute(text("INSERT INTO hubs (name, kind, geom) VALUES ('Old hub', 'library', "
                                    "ST_SetSRID(ST_MakePoint(1.29, 52.63), 4326)) RETURNING id")).scalar_one()  # fmt: skip
            rooms = conn.execute(
                text("INSERT INTO rooms (hub_id, name) VALUES (:h, 'Hall'), (:h, 'Kitchen') RETURNING id"), {"h": hub}
            ).scalars().all()  # fmt: skip
        migrate.upgrade(scratch_db)
        with engine.connect() as conn:
            found = conn.execute(
                text(versions + "WHERE object_type = 'room' AND object_id = ANY(:r) ORDER BY object_id"), {"r": rooms}
            ).all()  # fmt: skip
        assert [tuple(r) for r in found] == [(rooms[0], 1, "create", None, "Hall"), (rooms[1], 1, "create", None, "Kitchen")]  # fmt: skip
        migrate.downgrade(scratch_db, "0014")
        with engine.connect() as conn:
            assert conn.execute(text(versions + "WHERE object_type = 'room'")).all() == []
        with engine.connect() as conn, pytest.raises(IntegrityError):  # 0014's constraint is back
            conn.execute(text("INSERT INTO record_versions (object_type, object_id, version, action) "
                              "VALUES ('room', 1, 1, 'create')"))  # fmt: skip
        migrate.upgrade(scratch_db)
        with engine.connect() as conn:
            again = conn.execute(
                text(versions + "WHERE object_type = 'room' AND object_id = ANY(:r)"), {"r": rooms}
            )
            assert len(again.all()) == 2
    finally:
        engine.dispose()
