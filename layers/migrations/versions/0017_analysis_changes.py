"""analysis changes: per-source change counters that keep the overlay's cached inputs in step with the data

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 03:00:00

- ``analysis_changes``: one row per source of the overlay's inputs (``areas``, ``indicators``, ``assets``,
  ``mapped``) with a counter that every committed change to one of its tables raises. A statement-level trigger
  on each table raises it once per transaction (``last_xid``), so a bulk import costs one row update, not one
  per row, and writers of unrelated sources never wait on each other. The counters are transactional: a
  reader sees them move in the same snapshot as the data (``layers.analysis.cache``).
- ``analysis_asset_changes``: which assets (kind, id) each raise of the ``assets`` counter touched (from the
  triggers' transition tables; a room's or booking resource's change is its hub's or space's), so a reader
  holding the asset frame at counter N reads again only the assets changed since. Rows more than
  ``ASSET_LOG_KEPT`` raises old are deleted as new ones come; a reader further behind reads everything.
- The counters start at the migration's clock time in milliseconds, so a database rebuilt from scratch
  never hands out the tokens of an earlier one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: Each source of the overlay's inputs and the tables it is read from.
SOURCES = {
    "areas": ("areas", "area_shares", "locality_members"),
    "indicators": ("indicators",),
    "assets": ("group_areas",),
    "mapped": ("mapped_areas",),
}
#: Asset tables whose changed rows are logged, and how a row names its asset (kind, id expression).
ASSET_ROWS = {
    "groups": ("'group'", "r.id"),
    "hubs": ("'hub'", "r.id"),
    "spaces": ("'space'", "r.id"),
    "rooms": ("'hub'", "r.hub_id"),
    "resources": (
        "CASE WHEN r.space_id IS NOT NULL THEN 'space' ELSE 'hub' END",
        "COALESCE(r.space_id, (SELECT hub_id FROM rooms WHERE rooms.id = r.room_id))",
    ),
}
#: How many raises of the assets counter the log keeps (layers.analysis.cache.ASSET_LOG_KEPT).
ASSET_LOG_KEPT = 1000

BUMP = """
  UPDATE analysis_changes SET changes = changes + 1, last_xid = pg_current_xact_id()::text
  WHERE source = {source} AND last_xid IS DISTINCT FROM pg_current_xact_id()::text;
"""


def upgrade() -> None:
    op.create_table(
        "analysis_changes",
        sa.Column("source", sa.Text(), nullable=False, comment="areas, indicators, assets or mapped"),
        sa.Column("changes", sa.BigInteger(), nullable=False, comment="raised by each committed change"),
        sa.Column(
            "last_xid",
            sa.Text(),
            nullable=True,
            comment="the transaction that raised it last (raised once per transaction)",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("source", name=op.f("pk_analysis_changes")),
    )
    op.execute(
        "INSERT INTO analysis_changes (source, changes) "
        "SELECT s, (extract(epoch FROM clock_timestamp()) * 1000)::bigint "
        f"FROM unnest(ARRAY[{', '.join(repr(s) for s in SOURCES)}]) AS s"
    )
    op.create_table(
        "analysis_asset_changes",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False, comment="the assets counter it raised to"),
        sa.Column("kind", sa.Text(), nullable=False,
                  comment="group, hub or space; * for every asset (a TRUNCATE)"),  # fmt: skip
        sa.Column("id", sa.Integer(), nullable=True, comment="the asset; null: every asset (a TRUNCATE)"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_analysis_asset_changes")),
    )
    op.create_index(
        op.f("ix_analysis_asset_changes_changes"), "analysis_asset_changes", ["changes"], unique=False
    )
    # Once per transaction: later statements of the same transaction see its own update and skip it, so a
    # bulk import raises the counter once and writers hold the counter row's lock only until they commit
    # (which is what makes the counter's values commit in order).
    op.execute(
        "CREATE FUNCTION analysis_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + BUMP.format(source="TG_ARGV[0]")
        + "  RETURN NULL; END $$"
    )
    for source, tables in SOURCES.items():
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_analysis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION analysis_changed('{source}')"
            )
    for table, (kind, id_) in ASSET_ROWS.items():
        logged = {
            "insert": ("INSERT", "REFERENCING NEW TABLE AS new_rows", ("new_rows",)),
            "update": ("UPDATE", "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows", ("new_rows", "old_rows")),
            "delete": ("DELETE", "REFERENCING OLD TABLE AS old_rows", ("old_rows",)),
        }  # fmt: skip
        for name, (event, referencing, relations) in logged.items():
            selects = " UNION ".join(f"SELECT {kind}, {id_} FROM {rel} r" for rel in relations)
            op.execute(
                f"CREATE FUNCTION analysis_{table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "DECLARE v bigint; BEGIN"
                + BUMP.format(source="'assets'")
                + "  SELECT changes INTO v FROM analysis_changes WHERE source = 'assets';\n"
                f"  INSERT INTO analysis_asset_changes (changes, kind, id) SELECT DISTINCT v, k, i FROM ({selects}) c(k, i);\n"
                f"  DELETE FROM analysis_asset_changes WHERE changes < v - {ASSET_LOG_KEPT};\n"
                "  RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_analysis_{name} AFTER {event} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION analysis_{table}_{name}()"
            )
        op.execute(
            "CREATE FUNCTION analysis_{t}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE v bigint; BEGIN".format(t=table)
            + BUMP.format(source="'assets'")
            + "  SELECT changes INTO v FROM analysis_changes WHERE source = 'assets';\n"
            "  INSERT INTO analysis_asset_changes (changes, kind, id) VALUES (v, '*', NULL);\n"
            "  RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_analysis_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION analysis_{table}_truncate()"
        )


def downgrade() -> None:
    for tables in SOURCES.values():
        for table in tables:
            op.execute(f"DROP TRIGGER {table}_analysis_changed ON {table}")
    op.execute("DROP FUNCTION analysis_changed()")
    for table in ASSET_ROWS:
        for name in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER {table}_analysis_{name} ON {table}")
            op.execute(f"DROP FUNCTION analysis_{table}_{name}()")
    op.drop_table("analysis_asset_changes")
    op.drop_table("analysis_changes")
